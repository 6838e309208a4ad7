"""URL configuration: the admin, the expert and facilitator pages, reports, the API and its schema."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from surveys.middleware import with_policy
from surveys.views import pages

# Swagger UI: its scripts are files (the split view serves its setup script from a URL, not inline),
# but it styles itself inline, so its page alone allows inline style. Scripts stay 'self' only.
api_docs = with_policy(SpectacularSwaggerSplitView.as_view(url_name="api-schema"), style_src="'self' 'unsafe-inline'")

# An oversized or garbled post (Django raises while the view reads it): JSON or a page naming the limit.
handler400 = "surveys.views.pages.bad_request"

urlpatterns = [
    path("favicon.ico", pages.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the staff pages' switcher posts here
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/v1/", include(("surveys.api.urls", "api"), namespace="api")),
    path("facilitate/", include(("surveys.urls_facilitator", "facilitator"), namespace="facilitator")),
    path("studies/", include(("surveys.urls_reports", "reports"), namespace="reports")),
    path("", include("surveys.urls")),
]
