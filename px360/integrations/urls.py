from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("events/", views.intake, name="intake"),
    path("openapi.json", views.openapi, name="openapi"),
]
