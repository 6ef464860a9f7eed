"""Buttons other apps add to the survey response page.

The surveys app knows nothing of the apps above it, yet a coordinator reading
a patient's comment should turn it into a complaint in one click. An app
registers a :class:`DetailAction` in its ``AppConfig.ready()``; the response
page (:class:`DetailActionsMixin`) shows it among its buttons, at
``<response>/<url_path>/``, to users holding its permissions.

The handler gets the response only once the page's own rules let the user see
it: a response out of the user's scope is a 404 before any handler runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MethodType

from django.contrib.admin.utils import unquote
from django.http import Http404
from unfold.decorators import action

#: Names of registered actions among the admin's methods (``actions_detail``).
METHOD_PREFIX = "extension_"


@dataclass(frozen=True)
class DetailAction:
    """A button on the response page.

    ``name``: unique, a Python identifier (it names the URL); ``label``: the
    button's words (a lazy translation); ``handler(model_admin, request,
    response)``: returns the page's answer (a confirmation page, a redirect);
    ``permissions``: dotted permissions the user needs (``app.codename``) to
    see the button and to call it; ``icon``: a Material Symbols name.
    """

    name: str
    label: object
    handler: Callable
    permissions: tuple[str, ...] = ()
    icon: str = ""

    @property
    def method_name(self) -> str:
        return f"{METHOD_PREFIX}{self.name}"

    @property
    def url_path(self) -> str:
        return self.name.replace("_", "-")


_detail_actions: dict[str, DetailAction] = {}


def register_detail_action(name: str, *, label, handler: Callable, permissions=(), icon: str = "") -> DetailAction:
    """Add a button to the response page (registering a name again replaces it)."""
    if not name.isidentifier():
        raise ValueError(f"An action's name is a Python identifier, not {name!r}")
    for permission in permissions:
        if "." not in permission:
            raise ValueError(f"Name the permission with its app ('app.codename'), not {permission!r}")
    detail = DetailAction(name=name, label=label, handler=handler, permissions=tuple(permissions), icon=icon)
    _detail_actions[name] = detail
    return detail


def unregister_detail_action(name: str) -> None:
    _detail_actions.pop(name, None)


def detail_actions() -> tuple[DetailAction, ...]:
    return tuple(_detail_actions.values())


def _admin_method(detail: DetailAction):
    """The registered action as an Unfold detail action of the admin (checks its permissions)."""

    def method(model_admin, request, object_id):
        # The admin's own lookup: out of scope reads as missing.
        response = model_admin.get_object(request, unquote(object_id))
        if not model_admin.has_view_permission(request, response):
            raise Http404
        return detail.handler(model_admin, request, response)

    method.__name__ = detail.method_name
    return action(
        description=detail.label,
        url_path=detail.url_path,
        # A permission method of the admin (``has_<name>_permission``), not the dotted names
        # themselves: Unfold's system check would look those up in the database, which a
        # fresh install (``migrate`` runs the checks first) does not have yet.
        permissions=[detail.method_name] if detail.permissions else None,
        icon=detail.icon or None,
    )(method)


def _permission_method(detail: DetailAction):
    def has_permission(request, object_id=None) -> bool:
        return all(request.user.has_perm(permission) for permission in detail.permissions)

    return has_permission


class DetailActionsMixin:
    """Shows the registered actions on the admin's change page, after its own ``own_actions_detail``.

    Registration happens in ``AppConfig.ready()``, after the admin modules are
    imported, so the list is read when the page or its URLs are built.
    """

    own_actions_detail: tuple = ()

    @property
    def actions_detail(self):
        return [*self.own_actions_detail, *(detail.method_name for detail in detail_actions())]

    def __getattr__(self, name):
        # Only reached when normal lookup fails: the registered actions and their
        # permission checks, by their method names.
        if name.startswith(METHOD_PREFIX):
            detail = _detail_actions.get(name.removeprefix(METHOD_PREFIX))
            if detail is not None:
                return MethodType(_admin_method(detail), self)
        if name.startswith(f"has_{METHOD_PREFIX}") and name.endswith("_permission"):
            detail = _detail_actions.get(name.removeprefix(f"has_{METHOD_PREFIX}").removesuffix("_permission"))
            if detail is not None:
                return _permission_method(detail)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
