"""Users: created and given roles by PX Admins and Hospital Admins.

Every page that manages an account — the list and its search, the change,
password, history, delete and object-permission pages, and the bulk actions —
reads through :func:`px360.accounts.selectors.manageable_users`: an account at
or above the manager's own level (or the manager's own account) is missing,
exactly like one outside their hospital, so it answers 404.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from unfold.contrib.filters.admin import AutocompleteSelectFilter, BooleanRadioFilter, RelatedDropdownFilter
from unfold.decorators import action
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from px360.accounts.models import Role, User
from px360.accounts.selectors import can_manage_user, manageable_users
from px360.accounts.services import (
    _assignable,
    user_lockout_clear,
    user_password_reset_record,
    user_set_active,
    user_set_roles,
)
from px360.core.access import user_is_global
from px360.core.admin.base import PXModelAdmin


class RolesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, role):
        return role.name


@admin.register(User)
class UserAdmin(BaseUserAdmin, PXModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ("username", "first_name", "last_name", "hospital", "department", "role_names", "is_active")
    list_select_related = ("hospital", "department")
    list_filter = (
        ("hospital", AutocompleteSelectFilter),
        ("roles", RelatedDropdownFilter),
        ("is_active", BooleanRadioFilter),
    )
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("hospital", "department")
    ordering = ("username",)
    filter_horizontal = ()
    actions = ["activate_selected", "deactivate_selected", "lift_lockout"]

    # --- which accounts --------------------------------------------------------

    def _picks_a_reference(self, request) -> bool:
        """Whether this read fills another model's user field (a department's manager, ...).

        Choosing a user to name on another record is not managing their account:
        the autocomplete then offers what that field accepts, the access policy's
        scope, as the field's own choices do.
        """
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name != "autocomplete":
            return False
        source = (request.GET.get("app_label"), request.GET.get("model_name"))
        return source != (self.opts.app_label, self.opts.model_name)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not self._picks_a_reference(request):
            queryset = manageable_users(request.user, queryset)
        return queryset.prefetch_related("roles")

    def object_allows(self, request, obj, action: str) -> bool:
        return can_manage_user(request.user, obj, action)

    # --- the change form -------------------------------------------------------

    @admin.display(description=_("roles"))
    def role_names(self, user):
        return ", ".join(role.name for role in sorted(user.roles.all(), key=lambda role: -role.level))

    def get_fieldsets(self, request, obj=None):
        profile = (
            _("Hospital and profile"),
            {"fields": ("hospital", "department", "phone", "preferred_language", "roles")},
        )
        if obj is None:
            return (
                (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
                (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
                profile,
            )
        access = ["is_active"]
        if request.user.is_superuser:
            access += ["is_staff", "is_superuser"]
        return (
            (None, {"fields": ("username", "password")}),
            (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
            profile,
            (_("Access"), {"fields": tuple(access)}),
            (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        )

    def get_readonly_fields(self, request, obj=None):
        return ("last_login", "date_joined")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "roles":
            assignable = [role.pk for role in Role.objects.all() if _assignable(request.user, role)]
            return RolesField(
                queryset=Role.objects.filter(pk__in=assignable).order_by("-level"),
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label=_("roles"),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            # Everyone with an account works in the admin.
            obj.is_staff = True
        if not user_is_global(request.user) and obj.hospital_id is None:
            obj.hospital = request.user.hospital
        activation = None
        if change and "is_active" in form.changed_data:
            # (De)activation goes through its service, which audits it.
            activation, obj.is_active = obj.is_active, not obj.is_active
        super().save_model(request, obj, form, change)
        if activation is not None:
            user_set_active(user=obj, active=activation, by=request.user, request=request)

    def save_related(self, request, form, formsets, change):
        roles = form.cleaned_data.pop("roles", None)
        form.save_m2m = lambda: None  # roles go through the service below
        super().save_related(request, form, formsets, change)
        if roles is not None:
            # An editor reaches only accounts whose roles are all below their own,
            # which are exactly the roles they may hand out.
            try:
                user_set_roles(user=form.instance, roles=list(roles), by=request.user, request=request)
            except ValidationError as error:
                self.message_user(request, error.messages[0], messages.ERROR)

    # --- password and history --------------------------------------------------

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        target = self.get_object(request, unquote(id))
        if not self.has_change_permission(request, target):
            raise PermissionDenied
        before = target.password
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST":
            # Django's view also redirects when it refuses conflicting data:
            # only a stored hash that changed is a reset.
            target.refresh_from_db(fields=["password"])
            if target.password != before:
                user_password_reset_record(user=target, by=request.user, request=request)
        return response

    # --- bulk actions ------------------------------------------------------------

    def _set_active(self, request, queryset, active: bool) -> None:
        changed = 0
        for user in manageable_users(request.user, queryset, "change"):
            if user_set_active(user=user, active=active, by=request.user, request=request):
                changed += 1
        if active:
            text = ngettext("%(count)d account activated.", "%(count)d accounts activated.", changed)
        else:
            text = ngettext("%(count)d account deactivated.", "%(count)d accounts deactivated.", changed)
        self.message_user(request, text % {"count": changed}, messages.SUCCESS)

    @action(description=_("Activate selected users"), permissions=["change"])
    def activate_selected(self, request, queryset):
        self._set_active(request, queryset, True)

    @action(description=_("Deactivate selected users"), permissions=["change"])
    def deactivate_selected(self, request, queryset):
        self._set_active(request, queryset, False)

    @action(description=_("Lift sign-in lockout"), permissions=["change"])
    def lift_lockout(self, request, queryset):
        unlocked = 0
        for user in manageable_users(request.user, queryset, "change"):
            if user_lockout_clear(user=user, by=request.user, request=request):
                unlocked += 1
        self.message_user(
            request,
            ngettext(
                "Sign-in lockout lifted for %(count)d account.",
                "Sign-in lockout lifted for %(count)d accounts.",
                unlocked,
            )
            % {"count": unlocked},
            messages.SUCCESS,
        )
