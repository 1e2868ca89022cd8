from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.media import views as media_views
from cms.publishing import views_admin as publishing_admin
from cms.publishing.views import serve_public_site

# JSON under /api/, Django's pages elsewhere (cms/core/api.py; CSRF failures: CSRF_FAILURE_VIEW).
handler400 = "cms.core.api.bad_request"
handler403 = "cms.core.api.permission_denied"
handler404 = "cms.core.api.page_not_found"
handler500 = "cms.core.api.server_error"

urlpatterns = [
    # Before Wagtail's own patterns, which it answers to every editor (see the view).
    path("admin/reports/page-types-usage/", publishing_admin.page_types_usage),
    path("admin/reports/page-types-usage/results/", publishing_admin.page_types_usage_results),
    path("admin/", include(wagtailadmin_urls)),
    # Image and document files only through the access rule of cms/media/selectors.py, in
    # every environment (nginx proxies these paths; docs/operations.md). The document route
    # is Wagtail's own pattern, answered first by the wrapper that adds the audience rule.
    re_path(r"^documents/(\d+)/(.*)$", media_views.serve_document, name="private_document"),
    path("documents/", include(wagtaildocs_urls)),
    re_path(
        r"^media/(?P<folder>images|original_images)/(?P<name>[^/]+)$", media_views.serve_image, name="private_image"
    ),
    path("api/", include("cms.api")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    # Nothing of MEDIA_ROOT is served as plain files, not even here: see the media routes above.

# Everything else is the public static site, served from the `current` release. In
# production nginx serves the same directory and Django never sees these requests.
urlpatterns += [re_path(r"^(?P<path>.*)$", serve_public_site, name="public_site")]

# Never reached (the catch-all above answers first); mounted so Wagtail can reverse page URLs,
# which then equal the static site's URLs.
urlpatterns += [path("", include(wagtail_urls))]
