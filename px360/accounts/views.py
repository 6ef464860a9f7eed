"""Sign-in pages PX360 renders itself."""

from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' lockout page, inside the admin's look and language."""
    context = {
        **admin.site.each_context(request),
        "title": "",
        "cooloff_minutes": round(settings.AXES_COOLOFF_TIME * 60),
    }
    return render(request, "accounts/locked_out.html", context, status=429)
