"""Anquan settings: every deployment knob comes from the environment (12-factor).

The README's configuration table lists each variable; keep the two in step (a test checks it).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent  # the anquan package
PROJECT_DIR = BASE_DIR.parent

env = environ.Env()

DATA_DIR = Path(env.str("ANQUAN_DATA_DIR", default=str(PROJECT_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The key from the environment, else one generated once and kept in the data directory."""
    key: str = env.str("ANQUAN_SECRET_KEY", default="")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("ANQUAN_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ANQUAN_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("ANQUAN_CSRF_TRUSTED_ORIGINS", default=[])
HTTPS = env.bool("ANQUAN_HTTPS", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # serves the API docs (Swagger UI) from its own static files, not a CDN
    "django_tasks",
    "django_tasks_db",
    "anquan.platform",
    "anquan.org",
    "anquan.plant",
    "anquan.workorders",
    "anquan.monitoring",
    "anquan.earlywarning",
    "anquan.hazards",
    "anquan.inspections",
    "anquan.streaming",
    "anquan.notifications",
    "anquan.web",
    "anquan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "anquan.platform.i18n.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "anquan.config.urls"
WSGI_APPLICATION = "anquan.config.wsgi.application"
ASGI_APPLICATION = "anquan.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "anquan.web.context_processors.shell",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("ANQUAN_DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'anquan.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process, the task workers and the stream read while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
    # Tests: a file (per process), not a shared in-memory database, whose table locks would fail at
    # once instead of waiting when a test's thread and the stream's threads write at the same time.
    DATABASES["default"].setdefault(
        "TEST", {"NAME": os.path.join(tempfile.gettempdir(), f"anquan-test-{os.getpid()}.sqlite3")}
    )
else:
    # A connection pool (psycopg_pool) per process: under ASGI each request runs on a thread of its
    # own, so Django's persistent connections would open a new connection per request (~30 ms).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "pool", {"min_size": 1, "max_size": env.int("ANQUAN_DB_POOL_SIZE", default=10), "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- People, passwords, sessions ------------------------------------------------------------
AUTH_USER_MODEL = "org.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling comes first
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username from one address after N failures.
AXES_FAILURE_LIMIT = env.int("ANQUAN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("ANQUAN_LOGIN_COOLOFF_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("ANQUAN_SESSION_HOURS", default=12) * 3600
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = env.bool("ANQUAN_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000

# --- Language and time ----------------------------------------------------------------------
# Source strings are Chinese (the default UI language); English is the translation.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("ANQUAN_TIME_ZONE", default="Asia/Shanghai")

# --- Static files and attachments -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # collectstatic fills it; whitenoise wants it to exist
MEDIA_ROOT = Path(env.str("ANQUAN_MEDIA_ROOT", default=str(DATA_DIR / "media")))
MEDIA_URL = "media/"
ATTACHMENT_STORAGE = env.str("ANQUAN_ATTACHMENT_STORAGE", default="local")  # local | s3
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
if ATTACHMENT_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("ANQUAN_S3_BUCKET"),
            "endpoint_url": env.str("ANQUAN_S3_ENDPOINT_URL", default=None),
            "access_key": env.str("ANQUAN_S3_ACCESS_KEY", default=None),
            "secret_key": env.str("ANQUAN_S3_SECRET_KEY", default=None),
            "region_name": env.str("ANQUAN_S3_REGION", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# Upload limits per attachment kind, in MiB.
ATTACHMENT_MAX_MB = {
    "image": env.int("ANQUAN_UPLOAD_MAX_IMAGE_MB", default=15),
    "audio": env.int("ANQUAN_UPLOAD_MAX_AUDIO_MB", default=20),
    "video": env.int("ANQUAN_UPLOAD_MAX_VIDEO_MB", default=200),
    "pdf": env.int("ANQUAN_UPLOAD_MAX_PDF_MB", default=30),
}
# A request body that is not a file upload (a JSON body, form fields): a whole inspection round
# walked offline arrives as one JSON request with its photos (shrunk on the phone) inside.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("ANQUAN_REQUEST_MAX_MB", default=25) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Background tasks (django-tasks, database backend) --------------------------------------
TASKS = {
    "default": {
        "BACKEND": env.str("ANQUAN_TASK_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "notifications"],
    }
}

# --- E-mail (the fallback SMTP server; sites may configure their own in the UI) --------------
# ``filemail:///mail`` writes each e-mail to a file under the data folder instead (the demo of
# ``make run``, which has no mail server: var/mail/).
_email = env.email_url("ANQUAN_EMAIL_URL", default="smtp://127.0.0.1:25")
if _email.get("EMAIL_FILE_PATH"):
    _email["EMAIL_FILE_PATH"] = str(DATA_DIR / _email["EMAIL_FILE_PATH"])
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str("ANQUAN_EMAIL_FROM", default="anquan@localhost")
EMAIL_TIMEOUT = 10

# --- Notifications ---------------------------------------------------------------------------
# Attempts per e-mail or robot delivery before it is marked failed (back-off 30 s, 2 min, 8 min,
# 30 min, then 2 h between them).
ANQUAN_NOTIFY_MAX_ATTEMPTS = env.int("ANQUAN_NOTIFY_MAX_ATTEMPTS", default=6)
# Files an e-mail may carry together (e.g. the daily report's PDF); larger ones are left out and
# the mail points to the link instead. 10 MB is what most mail servers accept once base64 has
# grown a file by a third.
ANQUAN_NOTIFY_MAX_ATTACHMENT_MB = env.float("ANQUAN_NOTIFY_MAX_ATTACHMENT_MB", default=10.0)
# The address people reach Anquan at (e.g. https://anquan.example.cn): links in e-mails and IM
# messages are made absolute with it; without it they carry no link.
ANQUAN_PUBLIC_URL = env.str("ANQUAN_PUBLIC_URL", default="")

# --- Stream: ingestion and alarm evaluation (anquan stream) ---------------------------------
# MQTT broker the stream and the simulator use; empty: no MQTT (HTTP and polling connectors only).
ANQUAN_MQTT_URL = env.str("ANQUAN_MQTT_URL", default="mqtt://127.0.0.1:1883")
# This installation's name on a shared MQTT broker: it prefixes the stream's client ids, shared
# subscription groups and partition topics, so two installations on one broker never take each
# other's sessions or messages.
ANQUAN_INSTANCE = env.str("ANQUAN_INSTANCE", default="anquan")
# Several stream workers share a site's load: this worker's index and how many there are.
ANQUAN_STREAM_WORKERS = env.int("ANQUAN_STREAM_WORKERS", default=1)
ANQUAN_STREAM_WORKER_INDEX = env.int("ANQUAN_STREAM_WORKER_INDEX", default=0)
# A batch is written when it holds this many readings or is this old, whichever comes first.
ANQUAN_STREAM_BATCH_SIZE = env.int("ANQUAN_STREAM_BATCH_SIZE", default=20000)
ANQUAN_STREAM_BATCH_MS = env.int("ANQUAN_STREAM_BATCH_MS", default=5)
# Several workers: how long a worker holds its own readings before the alarms see them, so that the
# same tags' readings forwarded by another worker (one batch and one broker hop later) are in time.
ANQUAN_STREAM_REORDER_MS = env.int("ANQUAN_STREAM_REORDER_MS", default=1000)
# Readings buffered in memory while the database is unavailable; beyond it the stream stops
# acknowledging, so the broker keeps the messages (QoS 1).
ANQUAN_STREAM_BUFFER_READINGS = env.int("ANQUAN_STREAM_BUFFER_READINGS", default=1_000_000)
# Readings older than this are refused from live connectors (history imports are exempt);
# timestamps ahead of the server clock by more than the tolerance are refused.
ANQUAN_INGEST_LATE_WINDOW_S = env.int("ANQUAN_INGEST_LATE_WINDOW_S", default=7 * 24 * 3600)
ANQUAN_INGEST_FUTURE_TOLERANCE_S = env.int("ANQUAN_INGEST_FUTURE_TOLERANCE_S", default=60)
# Largest payload accepted from MQTT or HTTP, in KiB.
ANQUAN_INGEST_MAX_PAYLOAD_KB = env.int("ANQUAN_INGEST_MAX_PAYLOAD_KB", default=1024)
# Tag health: stale after this many expected intervals without data; flatline when the value has
# not changed for this many intervals.
ANQUAN_TAG_STALE_INTERVALS = env.int("ANQUAN_TAG_STALE_INTERVALS", default=3)
ANQUAN_TAG_FLATLINE_INTERVALS = env.int("ANQUAN_TAG_FLATLINE_INTERVALS", default=360)
# Largest history file (CSV/Excel) accepted for import, in MiB.
ANQUAN_IMPORT_MAX_MB = env.int("ANQUAN_IMPORT_MAX_MB", default=200)
# Raw readings are kept this many days; minute rollups and hour rollups longer.
ANQUAN_RETENTION_RAW_DAYS = env.int("ANQUAN_RETENTION_RAW_DAYS", default=90)
ANQUAN_RETENTION_MINUTE_DAYS = env.int("ANQUAN_RETENTION_MINUTE_DAYS", default=400)
ANQUAN_RETENTION_HOUR_DAYS = env.int("ANQUAN_RETENTION_HOUR_DAYS", default=3650)

# --- Logging ---------------------------------------------------------------------------------
LOG_LEVEL = env.str("ANQUAN_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "anquan.platform.logs.ConsoleHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

ANQUAN_VERBOSE_NAME = _("安全生产平台")
