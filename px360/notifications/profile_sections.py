"""The notification choices on every user's profile page.

Registered with the accounts app's profile page (which never imports this
app): the e-mail delivery of each kind of notice and the daily digest's hour.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminSelectWidget

from px360.accounts.views import ProfileSection, register_profile_section

from . import kinds, selectors
from .services import staff_notice_settings_set


def _field_name(code: str) -> str:
    return "kind__" + code.replace(".", "__")


class NoticeChoicesForm(forms.Form):
    """One choice per registered kind of notice, and the digest's hour."""

    digest_hour = forms.TypedChoiceField(
        label=_("Daily digest at"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        widget=UnfoldAdminSelectWidget(attrs={"dir": "ltr"}),
        help_text=_("Riyadh time. Notices you chose to receive in the digest arrive in one e-mail a day."),
    )

    def __init__(self, user, *args, **kwargs):
        current = selectors.notice_settings(user)
        deliveries = selectors.deliveries_for(user)
        kwargs.setdefault("initial", {})["digest_hour"] = current.digest_hour
        super().__init__(*args, **kwargs)
        self.kind_fields = []
        for kind in kinds.all_kinds():
            name = _field_name(kind.code)
            self.fields[name] = forms.ChoiceField(
                label=kind.label,
                choices=kind.email_choices(),
                initial=deliveries[kind.code],
                widget=UnfoldAdminSelectWidget,
            )
            self.kind_fields.append((kind, name))

    def deliveries(self) -> dict[str, str]:
        return {kind.code: self.cleaned_data[name] for kind, name in self.kind_fields}

    def kind_bound_fields(self):
        return [self[name] for _kind, name in self.kind_fields]


def _form(request, data):
    return NoticeChoicesForm(request.user, data, prefix="notices")


def _save(request, form):
    staff_notice_settings_set(
        user=request.user,
        by=request.user,
        deliveries=form.deliveries(),
        digest_hour=form.cleaned_data["digest_hour"],
    )


register_profile_section(
    ProfileSection(
        code="notification-choices",
        title=_("Notification choices"),
        template="notifications/profile_section.html",
        form=_form,
        save=_save,
        order=50,
    )
)
