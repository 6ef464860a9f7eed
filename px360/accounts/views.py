"""Pages of accounts PX360 renders itself: the lockout page and every user's own profile."""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from axes.helpers import get_client_username
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from unfold.forms import AdminOwnPasswordChangeForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from px360.core.choices import Language
from px360.core.validators import normalize_phone

from .lockout import locked_everywhere
from .services import user_own_password_change, user_profile_update


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


# --- the profile page: every user's own account ----------------------------------
#
# Reached from the user menu whatever the role: a Viewer or a Nurse changes
# their own language, phone and password here. It only ever reads and writes
# ``request.user``: there is no id in its URLs to point at someone else.
#
# Apps above accounts add their own parts to the page (the notification
# choices, for instance) by registering a ``ProfileSection`` in a
# ``profile_sections`` module, read the first time the page is shown; accounts
# never imports them.


@dataclass(frozen=True)
class ProfileSection:
    """A part of the profile page that another app contributes.

    ``form(request, data)`` builds the section's form for ``request.user``
    (bound when ``data`` is given); ``save(request, form)`` writes a valid one
    through the app's services and may raise ``ValidationError``.
    ``template`` renders it with ``form`` and ``section`` in the context.
    """

    code: str
    title: str
    template: str
    form: Callable
    save: Callable
    order: int = 100


_SECTIONS: dict[str, ProfileSection] = {}
_sections_discovered = False


def register_profile_section(section: ProfileSection) -> ProfileSection:
    _SECTIONS[section.code] = section
    return section


def profile_sections() -> list[ProfileSection]:
    global _sections_discovered
    if not _sections_discovered:
        autodiscover_modules("profile_sections")
        _sections_discovered = True
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.code))


class ProfileForm(forms.Form):
    preferred_language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("The sign-in page's language")), *Language.choices],
        widget=UnfoldAdminSelectWidget,
        help_text=_("The admin opens in this language after you sign in."),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=30,
        widget=UnfoldAdminTextInputWidget(attrs={"dir": "ltr", "inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("For example 05XXXXXXXX, or with the country code for a number outside Saudi Arabia."),
    )

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])


def _page_context(request, title) -> dict:
    request.current_app = admin.site.name
    return {**admin.site.each_context(request), "title": title}


def profile(request):
    """The signed-in user's own profile: language, phone, their sections, and a way to the password page."""
    user = request.user
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(
        data, initial={"preferred_language": user.preferred_language, "phone": user.phone}, prefix="account"
    )
    sections = [(section, section.form(request, data)) for section in profile_sections()]
    # Every form is checked, so that each shows its errors at once.
    valid = (
        [form.is_valid(), *(section_form.is_valid() for _s, section_form in sections)] if data is not None else [False]
    )
    if all(valid):
        try:
            with transaction.atomic():
                user_profile_update(
                    user=user,
                    by=user,
                    preferred_language=form.cleaned_data["preferred_language"],
                    phone=form.cleaned_data["phone"],
                    request=request,
                )
                for section, section_form in sections:
                    section.save(request, section_form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your profile was saved."))
            language = user.preferred_language or get_language()
            with translation.override(language):
                target = reverse("profile")
            response = redirect(target)
            if user.preferred_language:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    language,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                    secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
                )
            return response
    context = {
        **_page_context(request, _("My profile")),
        "form": form,
        "sections": [{"section": section, "form": section_form} for section, section_form in sections],
        "account": user,
        "roles_text": pgettext("list separator", ", ").join(role.name for role in user.roles.order_by("-level")),
        "all_errors": [error for f in (form, *(f for _s, f in sections)) if data is not None for error in f.errors],
    }
    return TemplateResponse(request, "accounts/profile.html", context)


@sensitive_post_parameters()
def profile_password(request):
    """The signed-in user changes their own password (old one first; the project's password rules apply)."""
    # The account itself, not the request's lazy wrapper: the audit names its model.
    user = get_user_model().objects.get(pk=request.user.pk)
    form = AdminOwnPasswordChangeForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user_own_password_change(user=user, by=user, new_password=form.cleaned_data["new_password1"], request=request)
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password was changed."))
        return redirect("profile")
    context = {**_page_context(request, _("Change my password")), "form": form}
    return TemplateResponse(request, "accounts/profile_password.html", context)


def account_links(request) -> list[dict]:
    """The user menu's links (``UNFOLD["ACCOUNT"]["navigation"]``): the same for every role.

    Unfold asks on every admin page, the sign-in page too: nobody signed in, no links.
    """
    if not request.user.is_authenticated:
        return []
    links = [{"title": _("My profile"), "link": reverse("profile")}]
    with contextlib.suppress(NoReverseMatch):
        links.append({"title": _("My notifications"), "link": reverse("inbox:list")})
    if request.user.has_usable_password():
        links.append({"title": _("Change my password"), "link": reverse("profile_password")})
    return links
