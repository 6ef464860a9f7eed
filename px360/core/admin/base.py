"""The project's admin base classes: one mixin order, one access policy.

Every business model admin derives from :class:`PXModelAdmin` (or
:class:`PXTranslatedModelAdmin` for models with Arabic/English fields). The
base class routes every read through ``px360.core.access.restrict`` — list,
change, delete, history, autocomplete, raw-id lookups, foreign-key choices,
Unfold's search and exports — and answers 404 for anything out of scope, so
an outsider cannot even learn that a record exists.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.functional import lazy
from django.utils.translation import get_language_info, ngettext
from django.utils.translation import gettext_lazy as _
from guardian.admin import (
    AdminGroupObjectPermissionsForm,
    AdminUserObjectPermissionsForm,
    ReinforcedGuardedModelAdminMixin,
)
from guardian.shortcuts import get_perms_for_model
from modeltranslation.admin import TabbedTranslationAdmin
from modeltranslation.translator import translator
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.decorators import action

from px360.core.access import can_access, granted_pks, model_access, restrict, user_is_global
from px360.core.admin.bidi import is_ltr_field, plain_object_label
from px360.core.admin.exporting import ChangelistExportMixin
from px360.core.admin.filters import simple_filter_choices
from px360.core.admin.lookups import ChangelistGuardMixin
from px360.core.masking import MaskedHistoryContextHelper
from px360.core.models import AuditAction
from px360.core.services import (
    audit_filters,
    audit_record,
    audit_search,
    filter_parameters,
    holds_personal_data,
)


class DeletedFilter(admin.SimpleListFilter):
    """Lets a PX Admin list soft-deleted rows (and restore them)."""

    title = _("deletion")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", _("Deleted")), ("all", _("All"))]

    def queryset(self, request, queryset):
        # Filtering happens in PXModelAdmin.get_queryset, which must swap the
        # manager before scoping.
        return queryset


class ScopedUserSelectForm(forms.Form):
    """Pick a user to grant object permissions to — only users you can see."""

    user = forms.CharField(
        label=_("Username"),
        max_length=150,
        error_messages={"does_not_exist": _("There is no such user you can grant permissions to.")},
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_user(self):
        username = self.cleaned_data["user"]
        users = restrict(get_user_model().objects.filter(is_active=True), self.request.user)
        user = users.filter(username=username).first()
        if user is None or user.pk == self.request.user.pk:
            raise forms.ValidationError(self.fields["user"].error_messages["does_not_exist"])
        return user


class _AuditedPermissionsFormMixin:
    """Grants through the admin are limited to what the granter holds, and audited."""

    request = None
    subject_label = "user"

    def get_obj_perms_field_choices(self):
        choices = super().get_obj_perms_field_choices()
        granter = self.request.user if self.request is not None else None
        if granter is None or granter.is_superuser:
            return choices
        app_label = self.obj._meta.app_label
        return [(codename, name) for codename, name in choices if granter.has_perm(f"{app_label}.{codename}")]

    def save_obj_perms(self):
        before = set(self.get_obj_perms_field_initial())
        super().save_obj_perms()
        after = set(self.cleaned_data[self.get_obj_perms_field_name()])
        subject = getattr(self, "user", None) or getattr(self, "group", None)
        for codename in sorted(after - before):
            audit_record(
                action=AuditAction.PERMISSION_GRANTED,
                request=self.request,
                obj=self.obj,
                details={self.subject_label: str(subject), "permission": codename},
            )
        for codename in sorted(before - after):
            audit_record(
                action=AuditAction.PERMISSION_REVOKED,
                request=self.request,
                obj=self.obj,
                details={self.subject_label: str(subject), "permission": codename},
            )


class PXModelAdmin(
    ChangelistExportMixin, ChangelistGuardMixin, ReinforcedGuardedModelAdminMixin, SimpleHistoryAdmin, ModelAdmin
):
    """Base admin for every business model.

    A model that declares ``px_personal_data = True`` is audited here on every
    read screen: its change page and history pages (``VIEW``), its list opened
    with filters (``FILTER``) and any search of it, from the list or an
    autocomplete (``SEARCH``), with search terms and filter values kept only
    as ``px360.core.services.audit_filters`` allows.

    Changelist URLs filter and sort only by what the changelist declares, and
    its related filters offer and name only rows in the user's scope
    (:mod:`px360.core.admin.lookups`).

    Models with group-wide rows (``ModelAccess(group_rows=True)``: no hospital
    means every hospital's) are read by everyone in scope, but only a global
    user leaves the hospital empty; the access policy already keeps such rows
    out of everyone else's change and delete.
    """

    #: The form error when a hospital user leaves a group-wide row's hospital empty.
    group_wide_error = _("Choose your hospital: only a PX Admin manages records shared by the whole group.")

    list_per_page = 50
    list_max_show_all = 200
    show_full_result_count = False
    warn_unsaved_form = True
    compressed_fields = True
    list_filter_submit = True

    # --- scoping -------------------------------------------------------------

    def _is_soft_delete(self) -> bool:
        return hasattr(self.model, "all_objects")

    def _deleted_mode(self, request) -> str | None:
        if not self._is_soft_delete() or not user_is_global(request.user):
            return None
        value = request.GET.get(DeletedFilter.parameter_name)
        return value if value in ("yes", "all") else None

    def get_queryset(self, request):
        mode = self._deleted_mode(request)
        include_deleted = self._is_soft_delete() and getattr(request, "_px360_include_deleted", False)
        if mode is not None or include_deleted:
            queryset = self.model.all_objects.get_queryset()
            if mode == "yes":
                queryset = queryset.filter(deleted_at__isnull=False)
            ordering = self.get_ordering(request)
            if ordering:
                queryset = queryset.order_by(*ordering)
        else:
            queryset = self.model._default_manager.get_queryset()
            ordering = self.get_ordering(request)
            if ordering:
                queryset = queryset.order_by(*ordering)
        return restrict(queryset, request.user, "view")

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if self._is_soft_delete() and user_is_global(request.user):
            filters.append(DeletedFilter)
        return filters

    def get_object(self, request, object_id, from_field=None):
        # Out of scope and missing look the same: 404, never a redirect or a
        # 403 that would confirm the record exists.
        request._px360_include_deleted = True
        try:
            obj = super().get_object(request, object_id, from_field)
        finally:
            request._px360_include_deleted = False
        if obj is None:
            raise Http404
        if getattr(obj, "deleted_at", None) is not None and not user_is_global(request.user):
            raise Http404
        return obj

    def _any_grant(self, request, action: str) -> bool:
        # granted_pks reads the user's grants once per request.
        codenames = [f"{action}_{self.model._meta.model_name}"]
        if action == "view":
            codenames.append(f"change_{self.model._meta.model_name}")
        return bool(granted_pks(request.user, self.model, codenames))

    def _as_object(self, request, obj):
        # Unfold's row actions pass the object's id instead of the object.
        if obj is not None and not isinstance(obj, self.model):
            return self.get_object(request, str(obj))
        return obj

    def object_allows(self, request, obj, action: str) -> bool:
        """Whether the user may ``action`` (view, change, delete) this one object."""
        return can_access(request.user, obj, action)

    def has_view_permission(self, request, obj=None):
        obj = self._as_object(request, obj)
        if obj is not None:
            return self.object_allows(request, obj, "view")
        return super().has_view_permission(request, obj) or self._any_grant(request, "view")

    def has_change_permission(self, request, obj=None):
        obj = self._as_object(request, obj)
        if obj is not None:
            return self.object_allows(request, obj, "change")
        return super().has_change_permission(request, obj) or self._any_grant(request, "change")

    def has_delete_permission(self, request, obj=None):
        obj = self._as_object(request, obj)
        if obj is not None:
            return self.object_allows(request, obj, "delete")
        return super().has_delete_permission(request, obj)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self._any_grant(request, "view")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        rules = model_access(self.model)
        field = form.base_fields.get(rules.hospital) if rules is not None and rules.group_rows else None
        if field is not None and not user_is_global(request.user):
            field.required = True
            field.help_text = ""
            field.error_messages["required"] = self.group_wide_error
        return form

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        # Codes, numbers and phone numbers are typed left to right, whatever
        # the page's direction (px360.core.admin.bidi).
        if formfield is not None and is_ltr_field(db_field):
            formfield.widget.attrs.setdefault("dir", "ltr")
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = restrict(formfield.queryset, request.user, "view")
            formfield.label_from_instance = plain_object_label
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = restrict(formfield.queryset, request.user, "view")
            formfield.label_from_instance = plain_object_label
        return formfield

    # --- views ---------------------------------------------------------------

    def _audits_reads(self, request, response) -> bool:
        return holds_personal_data(self.model) and request.method == "GET" and response.status_code == 200

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        # Searches are recorded by get_search_results; a list narrowed by
        # filters is a read of personal data in its own right.
        if self._audits_reads(request, response) and filter_parameters(request.GET):
            filters = audit_filters(self.model, request.GET, choices=simple_filter_choices(self, request))
            audit_record(action=AuditAction.FILTER, request=request, model=self.model, details={"filters": filters})
        return response

    def get_search_results(self, request, queryset, search_term):
        # Changelist, autocomplete and export searches all pass through here.
        # Admins that write their own search call audit_search themselves.
        results = super().get_search_results(request, queryset, search_term)
        if search_term.strip() and holds_personal_data(self.model):
            audit_search(request=request, model=self.model, term=search_term)
        return results

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if self._audits_reads(request, response):
            obj = response.context_data.get("original") or self.get_object(request, unquote(object_id))
            audit_record(action=AuditAction.VIEW, request=request, obj=obj)
        return response

    def _has_history_rows(self) -> bool:
        return hasattr(self.model._meta, "simple_history_manager_attribute")

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to the newest history row when the object
        # is not in the queryset, which would show an outsider its history.
        obj = self.get_object(request, unquote(object_id))
        if self._has_history_rows():
            response = super().history_view(request, object_id, extra_context)
        else:
            # A model without history rows would crash simple-history's page:
            # show Django's own list of admin changes instead.
            response = super(SimpleHistoryAdmin, self).history_view(request, object_id, extra_context)
        if self._audits_reads(request, response):
            audit_record(action=AuditAction.VIEW, request=request, obj=obj, details={"via": "history"})
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if not self._has_history_rows():
            raise Http404
        if request.method == "POST":
            # History is a record, read-only for everyone (DESIGN §3): a revert
            # would write back every stored field past the form's read-only
            # fields, masking and audit (an account's superuser flag, a
            # coordinator's masked national ID).
            raise PermissionDenied
        response = super().history_form_view(request, object_id, version_id, extra_context)
        if self._audits_reads(request, response):
            audit_record(
                action=AuditAction.VIEW,
                request=request,
                obj=obj,
                details={"via": "history", "version": str(version_id)},
            )
        return response

    def get_historical_record_context_helper(self, request, historical_record):
        # The history list's "changes" column shows old and new values: masked
        # fields (px_masked_fields) stay masked there for viewers who see them masked.
        return MaskedHistoryContextHelper(self.model, historical_record, user=request.user)

    # --- soft delete -----------------------------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not (self._is_soft_delete() and user_is_global(request.user)):
            actions.pop("restore_selected", None)
        return actions

    @action(description=_("Restore selected deleted records"), permissions=["change"])
    def restore_selected(self, request, queryset):
        restored = 0
        for obj in queryset.filter(deleted_at__isnull=False):
            obj.restore()
            audit_record(action=AuditAction.RESTORE, request=request, obj=obj)
            restored += 1
        self.message_user(
            request,
            ngettext("%(count)d record restored.", "%(count)d records restored.", restored) % {"count": restored},
            messages.SUCCESS,
        )

    actions = ["restore_selected"]

    # --- object permissions (guardian, reinforced) ----------------------------

    def get_obj_perms_user_select_form(self, request):
        class Form(ScopedUserSelectForm):
            def __init__(form_self, *args, **kwargs):
                super().__init__(*args, request=request, **kwargs)

        return Form

    def get_obj_perms_manage_user_form(self, request):
        class Form(_AuditedPermissionsFormMixin, AdminUserObjectPermissionsForm):
            pass

        Form.request = request
        Form.subject_label = "user"
        return Form

    def get_obj_perms_manage_group_form(self, request):
        class Form(_AuditedPermissionsFormMixin, AdminGroupObjectPermissionsForm):
            pass

        Form.request = request
        Form.subject_label = "group"
        return Form

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        self.get_object(request, unquote(object_pk))
        # The grantee must be someone the granter can see, and not themselves.
        get_object_or_404(restrict(get_user_model().objects.exclude(pk=request.user.pk), request.user), pk=user_id)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        self.get_object(request, unquote(object_pk))
        if not user_is_global(request.user):
            # Role groups span every hospital: only a PX Admin grants to them.
            raise Http404
        return super().obj_perms_manage_group_view(request, object_pk, group_id)

    def obj_perms_manage_view(self, request, object_pk):
        self.get_object(request, unquote(object_pk))
        return super().obj_perms_manage_view(request, object_pk)

    def get_obj_perms_base_context(self, request, obj):
        context = super().get_obj_perms_base_context(request, obj)
        context["model_perms"] = get_perms_for_model(obj)
        return context


def _field_in_language(verbose_name, language: str) -> str:
    name = get_language_info(language)["name_translated"]
    return _("%(field)s (%(language)s)") % {"field": verbose_name, "language": name}


_field_in_language_lazy = lazy(_field_in_language, str)


def name_translation_fields(model) -> None:
    """Label each language's copy of a translated field with the language's name.

    modeltranslation labels them "name [en]": a language code inside an Arabic
    label. They read "الاسم (الإنجليزية)" on every form, read-only page and export.
    """
    for field in model._meta.get_fields():
        translated = getattr(field, "translated_field", None)
        language = getattr(field, "language", None)
        if translated is None or not language or getattr(field, "px360_named", False):
            continue
        field.verbose_name = _field_in_language_lazy(translated.verbose_name, language)
        field.px360_named = True


class PXTranslatedModelAdmin(PXModelAdmin, TabbedTranslationAdmin):
    """For models with modeltranslation fields: one tab per language."""

    def __init__(self, model, admin_site):
        # Every translated model, inlines' included (journey stages in their template).
        for translated_model in translator.get_registered_models():
            name_translation_fields(translated_model)
        super().__init__(model, admin_site)

    def _get_declared_fieldsets(self, request, obj=None):
        # modeltranslation copies a custom form's Meta.fields onto ``self.fields``
        # when the admin declares fieldsets: the admin then has both, which
        # Django's checks refuse (admin.E005) once any page has been shown. With
        # fieldsets declared, ``fields`` is never read: leave it alone.
        fieldsets = self.add_fieldsets if getattr(self, "add_fieldsets", None) and obj is None else self.fieldsets
        if fieldsets:
            return self._patch_fieldsets(fieldsets)
        return super()._get_declared_fieldsets(request, obj)


class SuperuserOnlyAdminMixin:
    """Screens no role opens, whatever its model permissions: only an active superuser's.

    ``superuser_changes = False`` makes the screen read-only (deleting stays allowed).
    """

    superuser_changes = True

    @staticmethod
    def _superuser(request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def has_add_permission(self, request, *args):
        return self.superuser_changes and self._superuser(request)

    def has_change_permission(self, request, obj=None):
        return self.superuser_changes and self._superuser(request)

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request)


class ReadOnlyAdminMixin:
    """For append-only tables (audit log): nobody adds, changes or deletes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
