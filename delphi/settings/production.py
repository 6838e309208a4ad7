"""Production settings: everything in base, hardened. ``DELPHI_SECRET_KEY`` is required."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, env_str

DEBUG = env_bool("DELPHI_DEBUG", False)
SECRET_KEY = env_str("DELPHI_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "DELPHI_SECRET_KEY must be set to a random string of at least 50 characters in production."
    )
# No default host in production: the base's (localhost, testserver) would answer 400 to every real request.
ALLOWED_HOSTS = env_list("DELPHI_ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DELPHI_ALLOWED_HOSTS must name the host name(s) the site is served at in production, "
        "comma-separated, e.g. DELPHI_ALLOWED_HOSTS=panel.example.org."
    )

# "This request came over HTTPS" is believed from X-Forwarded-Proto only behind a trusted proxy
# (DELPHI_TRUSTED_PROXIES), which must then be the only way in; otherwise any client could claim it.
if DELPHI_TRUSTED_PROXIES:  # noqa: F405
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DELPHI_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a health probe inside the network speaks plain HTTP
SECURE_HSTS_SECONDS = env_int("DELPHI_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# Static files straight from gunicorn, compressed and cache-busted.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
