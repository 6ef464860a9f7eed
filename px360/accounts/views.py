"""Sign-in pages PX360 renders itself."""

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render

from .lockout import locked_everywhere


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' lockout page, inside the admin's look and in the page's language.

    It says whether the username is locked only from this address or from
    every address, since the advice differs (another computer will not help).
    """
    username = get_client_username(request, credentials) or ""
    context = {
        **admin.site.each_context(request),
        "title": "",
        "cooloff_minutes": round(settings.AXES_COOLOFF_TIME * 60),
        "everywhere": locked_everywhere(request, username),
    }
    return render(request, "accounts/locked_out.html", context, status=429)
