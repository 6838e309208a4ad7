"""Base settings, read from environment variables only (each one is documented in the README).

Embedded default: a SQLite file under ``var/`` and Celery tasks run eagerly in-process.
``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to a Redis broker with real workers.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_str, env_trusted_proxies

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("DELPHI_DATA_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DELPHI_DEBUG", True)
SECRET_KEY = env_str("DELPHI_SECRET_KEY") or "insecure-embedded-default-key-never-use-in-production"
ALLOWED_HOSTS = env_list("DELPHI_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DELPHI_CSRF_TRUSTED_ORIGINS", [])
# Absolute links in invitation emails and printed by the demo.
BASE_URL = env_str("DELPHI_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: a count (the proxies in
# front, each appending the address it was reached from) or their addresses/networks. Default none:
# the headers are ignored, since anyone can send them. surveys.ratelimit.client_address reads it for
# every limiter (invitation links, the API, staff sign-in); production.py for HTTPS.
DELPHI_TRUSTED_PROXIES = env_trusted_proxies("DELPHI_TRUSTED_PROXIES")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from here, not from a CDN
    "django_celery_beat",
    "axes",  # throttles staff sign-in
    "surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "surveys.middleware.ContentSecurityPolicyMiddleware",
    # Before anything reads the form: a field whose bytes are not UTF-8 is refused, not saved as U+FFFD.
    "surveys.text_input.UndecodableFormMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Staff pages follow the browser (or the switcher's cookie); expert pages then activate the
    # panelist's own language (surveys.expert_language), whatever the browser says.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "surveys.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "delphi.urls"
WSGI_APPLICATION = "delphi.wsgi.application"
ASGI_APPLICATION = "delphi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'delphi.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL") or _default_db,
            conn_max_age=env_int("DELPHI_DB_CONN_MAX_AGE", 0, minimum=0),
        )
    }
except ValueError as exc:  # an unknown scheme or a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # Concurrent saves must queue, not fail. SQLite's default (deferred) transaction takes the write
    # lock only at its first write; if another connection wrote meanwhile it cannot wait (that could
    # deadlock) and fails at once with "database is locked". IMMEDIATE takes the write lock at BEGIN,
    # where the busy timeout lets it wait its turn. WAL lets pages read while a save writes;
    # synchronous=NORMAL is WAL's safe setting (a power cut may lose the last commits, never corrupt).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,  # seconds a save waits for the write lock before "busy, try again" (503)
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg then prepares a statement only where a cursor asks for it (the autosave's read, planned
    # once per persistent connection: surveys.services.autosave); Django's cursors never prepare.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en"
# The interface languages. Adding one means a catalogue under surveys/locale/<code>/ (scripts/i18n_build
# collects the strings) and its translations, plus a line here; no other code.
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "surveys" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"

# --- Celery -------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# The cache holds rate-limit counters (token guesses, login throttling works in the database). With
# Redis every gunicorn worker shares them; the embedded default keeps them in process memory.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "delphi",
            # A Redis that hangs must not hang requests: the limiters fail open after a second.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # Sessions are read from a cache on this machine's disk, shared by every worker process, so a
    # request costs no session query (the autosave's budget of four); the database keeps every
    # session (cached_db), so a lost cache file only costs that query once. Not Redis: Django's
    # cached_db does not survive a cache that is down, and a session must.
    "sessions": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": DATA_DIR / "sessions",
        "TIMEOUT": None,  # each entry expires with its session (cached_db sets it)
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "sessions"
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker, tasks run in-process when enqueued: the embedded default needs no services.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Where tasks run inline (no broker), a report build runs in a thread of the web process instead, so
# "Build PDF" returns at once and the page shows the job building, then its link. Tests set it False.
DELPHI_REPORT_BUILD_THREAD = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("DELPHI_CELERY_QUEUE", "delphi")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "close-due-rounds": {"task": "surveys.tasks.close_due_rounds", "schedule": crontab()},
    "sweep-pending": {"task": "surveys.tasks.sweep_pending", "schedule": crontab()},
}
# With the broker down, a web request must not hang: fail fast; the sweep re-sends later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# A task whose worker died unacknowledged (acks_late) is handed out again after the visibility
# timeout; it must exceed the longest task. Tests of a killed worker shorten it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": env_int("DELPHI_BROKER_VISIBILITY_TIMEOUT_S", 3600, minimum=1),
    "unacked_restore_throttle": 1,
}

# --- Email ----------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("DELPHI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("DELPHI_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DELPHI_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("DELPHI_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("DELPHI_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("DELPHI_EMAIL_USE_TLS", False)
# Seconds an SMTP connect, command or DATA may take before the send fails (a stalled server must not
# hang a batch of reminders for good). The mail service's claim lease is derived from it.
EMAIL_TIMEOUT = env_int("DELPHI_EMAIL_TIMEOUT_S", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DELPHI_FROM_EMAIL", "Delphi Panel <delphi@localhost>")

# --- REST API ---------------------------------------------------------------------------------------
# Requests per expert (their invitation token) on /api/v1/me/, e.g. "120/min"; 429 with Retry-After beyond.
DELPHI_API_EXPERT_RATE = env_str("DELPHI_API_EXPERT_RATE", "120/min")
_rate_count, _, _rate_period = DELPHI_API_EXPERT_RATE.partition("/")
if not (_rate_count.isdigit() and _rate_period[:1] in ("s", "m", "h", "d")):
    raise ImproperlyConfigured(f"DELPHI_API_EXPERT_RATE={DELPHI_API_EXPERT_RATE!r} is not a rate such as 120/min.")
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first: a request without credentials gets 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "surveys.api.authentication.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],  # views say who; this is the floor
    "DEFAULT_PARSER_CLASSES": ["surveys.api.parsers.LimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "surveys.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "surveys.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"expert": DELPHI_API_EXPERT_RATE},  # kept in the default cache
    # Unset, DRF would believe any X-Forwarded-For. The expert throttle takes the address from
    # surveys.ratelimit.client_address instead; this keeps any other DRF throttle as safe (a list of
    # proxy addresses has no count: 0, the proxy's own address, which no client can forge).
    "NUM_PROXIES": DELPHI_TRUSTED_PROXIES if isinstance(DELPHI_TRUSTED_PROXIES, int) else 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Delphi Panel API",
    "DESCRIPTION": "Run Delphi studies: studies, items, rounds, panel, ballots and statistics.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,  # request bodies without the read-only fields of the answers
    "ENUM_NAME_OVERRIDES": {  # several models have a "status" or "kind": name each set of choices
        "StudyStatusEnum": "surveys.models.Study.Status",
        "RoundStatusEnum": "surveys.models.Round.Status",
        "BallotStatusEnum": ["not_started", "draft", "submitted"],
        "PanelistStatusEnum": "surveys.models.Panelist.Status",
        "ReportJobStatusEnum": "surveys.models.ReportJob.Status",
        "SuggestionStatusEnum": "surveys.models.Suggestion.Status",
        "SuggestionKindEnum": "surveys.models.Suggestion.Kind",
        "ItemKindEnum": "surveys.models.Item.Kind",
        "MessageKindEnum": "surveys.models.DeliveryLog.Kind",
        "OutsideIqrReasonEnum": "surveys.models.Study.OutsideIqrReason",
        "ReportFormatEnum": "surveys.models.ReportJob.Format",
        "StudyFileFormatEnum": ["delphi-study/1"],
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "surveys.api.schema.add_error_responses",  # the one error format on every operation
    ],
}

# --- Delphi Panel ----------------------------------------------------------------------------------
# Fault injection, for the killed-worker test only: aggregation pauses this long inside its
# transaction, after writing. Never set it in production.
DELPHI_FAULT_AGGREGATE_SLEEP_S = env_int("DELPHI_FAULT_AGGREGATE_SLEEP_S", 0, minimum=0)
# Content Security Policy, sent on every response (surveys.middleware). Scripts and styles come only
# from this site, never inline, so markup injected past the escaping could still not run or restyle
# the page. Charts are PNG data URIs. No framing, and forms post only here.
DELPHI_CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# How long an invitation link stays valid after it is issued.
DELPHI_TOKEN_MAX_AGE_DAYS = env_int("DELPHI_TOKEN_MAX_AGE_DAYS", 120, minimum=1)
# Wrong invitation links a client address may try per window before every attempt is refused (429).
DELPHI_TOKEN_GUESS_LIMIT = env_int("DELPHI_TOKEN_GUESS_LIMIT", 20, minimum=1)
DELPHI_TOKEN_GUESS_WINDOW_S = env_int("DELPHI_TOKEN_GUESS_WINDOW_S", 600, minimum=1)

# Staff sign-in is throttled by django-axes: after this many failures for a username from one
# address, that pair is locked out for the cool-off time (429 with a clear page).
AXES_FAILURE_LIMIT = env_int("DELPHI_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DELPHI_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_VERBOSE = False
# The client's address as the app's own limiters see it (DELPHI_TRUSTED_PROXIES); it takes precedence
# over axes's ipware settings, and django-ipware is not installed.
AXES_CLIENT_IP_CALLABLE = "surveys.ratelimit.client_address"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DELPHI_LOG_LEVEL", "INFO")},
    # In-process (eager) tasks would print a "succeeded" line into every command's output.
    "loggers": {
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        "weasyprint": {"level": "WARNING"},  # it logs every layout step at INFO
        "fontTools": {"level": "WARNING"},
    },
}
