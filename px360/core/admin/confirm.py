"""Confirmation pages for actions on one record.

Unfold's row actions are links (GET); anything that changes data asks first
and acts only on POST, so a crafted link cannot trigger it.
"""

from django.template.response import TemplateResponse


def confirm_then(request, model_admin, *, obj, title, message, button, back_url, on_confirm):
    """Render a confirmation page; on POST call ``on_confirm()`` and return its response."""
    if request.method == "POST":
        return on_confirm()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "message": message,
        "button": button,
        "back_url": back_url,
        "opts": model_admin.model._meta,
        "original": obj,
    }
    return TemplateResponse(request, "px360/admin/confirm_action.html", context)
