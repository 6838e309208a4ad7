"""Pages of 50 by default; ``page_size`` asks for up to 500 (e.g. a round's statistics in one go)."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
