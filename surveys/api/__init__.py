"""The REST API under /api/v1/ (Django REST Framework), documented by drf-spectacular."""
