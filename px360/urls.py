from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from px360.accounts import views as account_views
from px360.core.views import health

admin.site.site_url = None

urlpatterns = [
    path("health/", health, name="health"),
    path("api/integrations/", include("px360.integrations.urls")),
    # The public survey page picks the patient's language itself (with a
    # switch), so it stays outside i18n_patterns.
    path("s/", include("px360.surveys.public_urls")),
    # The public complaint form and status page choose their language the same way.
    path("complaints/", include("px360.complaints.public_urls")),
    # The language switcher posts here; outside i18n_patterns, or every admin
    # page fails with NoReverseMatch.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]

# /ar/admin/ and /en/admin/; a bare /admin/ redirects to the user's language.
urlpatterns += i18n_patterns(
    # Every user's own pages, whatever their role; before the admin's catch-all.
    path("admin/profile/", admin.site.admin_view(account_views.profile), name="profile"),
    path("admin/profile/password/", admin.site.admin_view(account_views.profile_password), name="profile_password"),
    path("admin/inbox/", include("px360.notifications.inbox_urls")),
    # Complaint attachments, opened only through this checked and audited view.
    path("admin/complaints-files/", include("px360.complaints.admin_urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=True,
)
# Uploaded files (imports, exports) hold patient data: they are never served
# from MEDIA_URL, only through views that check access.

# Bilingual error pages in the admin's look, also for the admin's own refusals.
handler400 = "px360.core.views.bad_request"
handler403 = "px360.core.views.permission_denied"
handler404 = "px360.core.views.page_not_found"
handler500 = "px360.core.views.server_error"
