"""The staff inbox, under the admin (``/<language>/admin/inbox/``), for every signed-in member of staff."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", admin.site.admin_view(views.inbox_list), name="list"),
    path("read/", admin.site.admin_view(views.inbox_mark_all_read), name="read_all"),
    path("<uuid:notice_id>/open/", admin.site.admin_view(views.inbox_open), name="open"),
    path("<uuid:notice_id>/read/", admin.site.admin_view(views.inbox_mark_read), name="read"),
]
