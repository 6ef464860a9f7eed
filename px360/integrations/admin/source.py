from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.decorators import action

from px360.core.admin.base import PXModelAdmin
from px360.integrations.models import ApiKey, IntegrationSource
from px360.integrations.services import api_key_create, api_key_revoke, api_key_rotate


class ApiKeyInline(TabularInline):
    model = ApiKey
    fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(IntegrationSource)
class IntegrationSourceAdmin(PXModelAdmin):
    list_display = ("code", "name", "is_active", "rate_limit_per_minute")
    search_fields = ("code", "name")
    filter_horizontal = ("hospitals",)
    fields = ("code", "name", "hospitals", "is_active", "rate_limit_per_minute")
    inlines = [ApiKeyInline]
    actions_detail = ["new_key", "rotate_keys"]

    def _key_page(self, request, object_id, *, rotate: bool):
        source = self.get_object(request, object_id)
        if not self.has_change_permission(request, source):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Rotate API keys") if rotate else _("New API key"),
            "source": source,
            "rotate": rotate,
            "opts": self.model._meta,
            "back_url": reverse("admin:integrations_integrationsource_change", args=[source.pk]),
        }
        if request.method == "POST":
            if rotate:
                _api_key, key = api_key_rotate(source=source, by=request.user, request=request)
            else:
                _api_key, key = api_key_create(source=source, by=request.user, request=request)
            context["key"] = key
        return TemplateResponse(request, "integrations/api_key.html", context)

    @action(description=_("New API key"), permissions=["change"], icon="key")
    def new_key(self, request, object_id):
        return self._key_page(request, object_id, rotate=False)

    @action(description=_("Rotate API keys"), permissions=["change"], icon="autorenew")
    def rotate_keys(self, request, object_id):
        return self._key_page(request, object_id, rotate=True)


@admin.register(ApiKey)
class ApiKeyAdmin(PXModelAdmin):
    list_display = ("prefix", "source", "created_at", "created_by", "last_used_at", "revoked_at")
    list_select_related = ("source", "created_by")
    list_filter = ("source",)
    search_fields = ("prefix", "source__code")
    readonly_fields = ("source", "prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    fields = readonly_fields
    actions = ["revoke_selected"]

    def has_add_permission(self, request):
        return False

    @action(description=_("Revoke selected keys"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key, by=request.user, request=request)
            count += 1
        self.message_user(request, _("%(count)d keys revoked.") % {"count": count}, messages.SUCCESS)
        return redirect(request.get_full_path())
