"""Public, unauthenticated URLs under ``/s/``: the survey page and the gateway hook."""

from django.urls import include, path

from . import views

app_name = "surveys_public"

urlpatterns = [
    path("hooks/", include("px360.notifications.urls")),
    path("<str:link>/", views.survey, name="survey"),
    path("<str:link>/thanks/", views.thanks, name="thanks"),
    path("<str:link>/opt-out/", views.opt_out, name="opt_out"),
]
