"""The Celery app, wired the standard way: configuration from Django settings under ``CELERY_``."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "delphi.settings")

app = Celery("delphi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
