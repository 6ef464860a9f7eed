"""Users: created and given roles by PX Admins and Hospital Admins."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, BooleanRadioFilter, RelatedDropdownFilter
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from px360.accounts.models import Role, User
from px360.accounts.services import _assignable, user_set_roles
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
    actions = []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

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
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        roles = form.cleaned_data.pop("roles", None)
        form.save_m2m = lambda: None  # roles go through the service below
        super().save_related(request, form, formsets, change)
        if roles is not None:
            user = form.instance
            # Roles the editor cannot hand out stay as they were.
            kept = [role for role in user.roles.all() if not _assignable(request.user, role)]
            try:
                user_set_roles(user=user, roles=list(roles) + kept, by=request.user, request=request)
            except ValidationError as error:
                self.message_user(request, error.messages[0], messages.ERROR)
