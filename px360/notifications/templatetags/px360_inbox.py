"""The notification bell in the admin's header."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("notifications/bell.html", takes_context=True)
def inbox_bell(context):
    """The bell with the signed-in user's unread count (one indexed COUNT per page)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    unread = selectors.unread_count(user) if user is not None and user.is_authenticated else 0
    return {"unread": unread, "unread_shown": "99+" if unread > 99 else str(unread)}
