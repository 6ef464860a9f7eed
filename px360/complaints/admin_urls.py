"""Staff pages of the complaints app outside the model admins: an attached file, checked and audited."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "complaints_files"

urlpatterns = [
    path("<uuid:pk>/", admin.site.admin_view(views.attachment_file), name="attachment"),
]
