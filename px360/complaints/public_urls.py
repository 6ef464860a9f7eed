"""Public pages of the complaints app: the complaint form and the status page (no sign-in)."""

from django.urls import path

from . import views

app_name = "complaints_public"

urlpatterns = [
    path("", views.complaint_form, name="form"),
    path("thanks/", views.complaint_thanks, name="thanks"),
    path("status/", views.complaint_status, name="status"),
]
