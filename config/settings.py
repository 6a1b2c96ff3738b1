"""Wangge settings. Everything that differs between machines comes from the environment.

The defaults run the demo on SQLite with no configuration at all; production sets
WANGGE_SECRET_KEY, WANGGE_DEBUG=0, WANGGE_ALLOWED_HOSTS and DATABASE_URL (see docs/operations.md).
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("WANGGE_DEBUG", True)
SECRET_KEY = os.environ.get("WANGGE_SECRET_KEY") or "insecure-demo-key-set-WANGGE_SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("WANGGE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("WANGGE_CSRF_TRUSTED_ORIGINS", "")

# Personal data: ID numbers are encrypted with this key and looked up through an HMAC blind
# index keyed by the second one. Losing the keys makes the stored numbers unreadable.
PII_ENCRYPTION_KEY = os.environ.get("WANGGE_PII_KEY", "")
PII_INDEX_KEY = os.environ.get("WANGGE_PII_INDEX_KEY", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the OpenAPI docs page from local static files (works offline)
    "wangge.core",
    "wangge.accounts",
    "wangge.regions",
    "wangge.registry",
    "wangge.units",
    "wangge.worktime",
    "wangge.cases",
    "wangge.notify",
    "wangge.sheets",
    "wangge.open311",
    "wangge.dispatch_ai",
    "wangge.party",
    "wangge.points",
    "wangge.deliberation",
    "wangge.web",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wangge.core.middleware.RequestIdMiddleware",
    "wangge.core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wangge.web.language.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wangge.web.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wangge.web.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'wangge.sqlite3'}",
        conn_max_age=int(os.environ.get("WANGGE_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("WANGGE_DB_PREPARE", False):
    # Statements sent with their parameters apart and prepared once per connection after their
    # second use: PostgreSQL parses and plans the same intake INSERTs once instead of on every
    # request. Off by default: a transaction-mode connection pooler (PgBouncer < 1.21) in between
    # cannot carry prepared statements.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; the busy timeout queues writers instead
    # of failing them. Both matter once gunicorn runs several workers on one file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("WANGGE_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("WANGGE_STATIC_ROOT", BASE_DIR / "var" / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("WANGGE_MEDIA_ROOT", BASE_DIR / "var" / "media"))

# Security headers. Behind TLS in production set WANGGE_SECURE=1; the plain-HTTP demo leaves it off.
SECURE = env_bool("WANGGE_SECURE", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env_bool("WANGGE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("WANGGE_HSTS_SECONDS", "31536000" if SECURE else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
# Behind a reverse proxy: trust its X-Forwarded-Proto, and its X-Request-ID for the audit log.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("WANGGE_BEHIND_PROXY", False) else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("WANGGE_SESSION_SECONDS", str(8 * 3600)))
X_FRAME_OPTIONS = "DENY"

# Maps. Without a tile server the grid polygons still draw on a plain background.
WANGGE_TILE_URL = os.environ.get("WANGGE_TILE_URL", "")
WANGGE_TILE_ATTRIBUTION = os.environ.get("WANGGE_TILE_ATTRIBUTION", "")
# Grid import tolerances, in square metres: slivers below these come from rounding, not from
# a real gap or overlap between grids.
WANGGE_GRID_GAP_TOLERANCE_M2 = float(os.environ.get("WANGGE_GRID_GAP_TOLERANCE_M2", "50"))
WANGGE_GRID_OVERLAP_TOLERANCE_M2 = float(os.environ.get("WANGGE_GRID_OVERLAP_TOLERANCE_M2", "1"))

# Cases (docs/cases.md): the share of the allowed working time after which the handler is warned,
# the radius (metres) and window (days) for duplicate suggestions, and the largest photo accepted.
WANGGE_SLA_WARN_SHARE = float(os.environ.get("WANGGE_SLA_WARN_SHARE", "0.8"))
WANGGE_DUPLICATE_RADIUS_M = float(os.environ.get("WANGGE_DUPLICATE_RADIUS_M", "200"))
WANGGE_DUPLICATE_DAYS = int(os.environ.get("WANGGE_DUPLICATE_DAYS", "7"))
# Text similarity (0–1, character n-grams) a nearby case needs to be offered as a duplicate, and
# for hot spots grouped by text; 0 only ranks. Place names shared by neighbours raise the score.
WANGGE_DUPLICATE_SIMILARITY = float(os.environ.get("WANGGE_DUPLICATE_SIMILARITY", "0.3"))
WANGGE_HOTSPOT_SIMILARITY = float(os.environ.get("WANGGE_HOTSPOT_SIMILARITY", "0.4"))
WANGGE_ATTACHMENT_MAX_BYTES = int(os.environ.get("WANGGE_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Hot spots (docs/hotspots.md): K cases of one category within R metres in the last T days.
WANGGE_HOTSPOT_K = int(os.environ.get("WANGGE_HOTSPOT_K", "5"))
WANGGE_HOTSPOT_RADIUS_M = float(os.environ.get("WANGGE_HOTSPOT_RADIUS_M", "200"))
WANGGE_HOTSPOT_DAYS = int(os.environ.get("WANGGE_HOTSPOT_DAYS", "7"))
# Indicators (docs/indicators.md): hours within which a case counts as responded to / dispatched on time.
WANGGE_RESPONSE_HOURS = int(os.environ.get("WANGGE_RESPONSE_HOURS", "24"))
WANGGE_DISPATCH_HOURS = int(os.environ.get("WANGGE_DISPATCH_HOURS", "4"))
# The working day (docs/worktime.md), e.g. "09:00-12:00,13:30-17:30"; empty for the built-in day.
WANGGE_WORK_HOURS = os.environ.get("WANGGE_WORK_HOURS", "")
# Deliberation (docs/deliberation.md): supports a proposed matter needs to go to the grid's hearing.
WANGGE_DELIBERATION_SUPPORTS = int(os.environ.get("WANGGE_DELIBERATION_SUPPORTS", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANGGE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
# Seconds each process remembers whom an API token belongs to (wangge/accounts/tokens.py): a token
# revoked or a user deactivated in another process stops working within this time; 0 looks every
# request up in the database.
WANGGE_TOKEN_CACHE_SECONDS = float(os.environ.get("WANGGE_TOKEN_CACHE_SECONDS", "5"))

# Background work (imports, notifications, SLA sweeps) goes through Django's tasks API. The database
# backend needs no extra service; run `manage.py db_worker` beside the web server.
TASKS = {"default": {"BACKEND": os.environ.get("WANGGE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

# Notifications. In-app messages always; email and SMS copies go through an outbox when their
# channel is configured (see docs/notifications.md). Email is off until WANGGE_EMAIL_HOST is set.
EMAIL_BACKEND = os.environ.get("WANGGE_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("WANGGE_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("WANGGE_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("WANGGE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("WANGGE_EMAIL_PASSWORD", "")
EMAIL_USE_SSL = env_bool("WANGGE_EMAIL_SSL", False)
EMAIL_USE_TLS = env_bool("WANGGE_EMAIL_TLS", not EMAIL_USE_SSL)
EMAIL_TIMEOUT = int(os.environ.get("WANGGE_EMAIL_TIMEOUT", "15"))
DEFAULT_FROM_EMAIL = os.environ.get("WANGGE_EMAIL_FROM", EMAIL_HOST_USER or "wangge@localhost")
WANGGE_NOTIFY_EMAIL = bool(EMAIL_HOST)
# Dotted path of an SMS adapter class; empty turns SMS off. The demo uses the logging adapter.
WANGGE_SMS_BACKEND = os.environ.get("WANGGE_SMS_BACKEND", "")
WANGGE_SMS_URL = os.environ.get("WANGGE_SMS_URL", "")  # for wangge.notify.sms.HttpSmsBackend
WANGGE_SMS_TOKEN = os.environ.get("WANGGE_SMS_TOKEN", "")
WANGGE_SMS_TIMEOUT = float(os.environ.get("WANGGE_SMS_TIMEOUT", "10"))
# Links in email and SMS are made absolute with this, e.g. https://wangge.example.gov.cn
WANGGE_SITE_URL = os.environ.get("WANGGE_SITE_URL", "").rstrip("/")
WANGGE_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("WANGGE_NOTIFY_MAX_ATTEMPTS", "6"))
WANGGE_NOTIFY_RETRY_SECONDS = int(os.environ.get("WANGGE_NOTIFY_RETRY_SECONDS", "60"))
WANGGE_NOTIFY_RETRY_MAX_SECONDS = int(os.environ.get("WANGGE_NOTIFY_RETRY_MAX_SECONDS", "3600"))
WANGGE_NOTIFY_CLAIM_SECONDS = int(os.environ.get("WANGGE_NOTIFY_CLAIM_SECONDS", "300"))
WANGGE_NOTIFY_BATCH = int(os.environ.get("WANGGE_NOTIFY_BATCH", "100"))

# Working hours of a working day, local time; SLA clocks count only these (docs/worktime.md).
WANGGE_WORK_HOURS = os.environ.get("WANGGE_WORK_HOURS", "09:00-12:00,13:30-17:30")

# Excel import and export of ledgers (docs/excel.md). Files above the inline size are checked and
# written by the task worker, with a progress bar; uploads are kept encrypted for KEEP_HOURS.
WANGGE_IMPORT_MAX_ROWS = int(os.environ.get("WANGGE_IMPORT_MAX_ROWS", "200000"))
WANGGE_IMPORT_MAX_BYTES = int(os.environ.get("WANGGE_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
WANGGE_IMPORT_INLINE_BYTES = int(os.environ.get("WANGGE_IMPORT_INLINE_BYTES", str(256 * 1024)))
WANGGE_IMPORT_KEEP_HOURS = int(os.environ.get("WANGGE_IMPORT_KEEP_HOURS", "72"))
# A large file's rows are checked in two processes (a forked child; docs/excel.md). 1: one process.
WANGGE_IMPORT_PROCESSES = int(os.environ.get("WANGGE_IMPORT_PROCESSES", "2"))
WANGGE_IMPORT_PARALLEL_MIN_ROWS = int(os.environ.get("WANGGE_IMPORT_PARALLEL_MIN_ROWS", "20000"))
WANGGE_EXPORT_MAX_ROWS = int(os.environ.get("WANGGE_EXPORT_MAX_ROWS", "200000"))
