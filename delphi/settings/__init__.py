"""Settings for the embedded default (SQLite, eager Celery) unless the environment says otherwise.

Production uses ``DJANGO_SETTINGS_MODULE=delphi.settings.production``.
"""

from __future__ import annotations

from .base import *  # noqa: F403
