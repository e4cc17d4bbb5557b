"""Touchstone settings, read from the environment (12-factor, one file).

Environment variables:
    DJANGO_DEBUG                  "1"/"true" turns debug on (off by default)
    DJANGO_SECRET_KEY             required when debug is off
    DJANGO_ALLOWED_HOSTS          comma-separated host names
    DJANGO_CSRF_TRUSTED_ORIGINS   comma-separated origins (https://example.com)
    TOUCHSTONE_TRUSTED_PROXIES    how many reverse proxies add X-Forwarded-For in front
                                  of the site (0: the connection's address is the client's)
    DATABASE_URL                  default: SQLite file db.sqlite3; postgres://... for PostgreSQL
    REDIS_URL                     optional: redis://127.0.0.1:6379/0 enables the Redis cache
    DJANGO_STATIC_ROOT            where collectstatic writes (default: staticfiles/)
    DJANGO_MEDIA_STORAGE          storage backend for public uploads (default: local file system)
    DJANGO_MEDIA_ROOT             folder of public uploads (default: media/)
    DJANGO_PRIVATE_STORAGE        storage backend for private uploads (default: local file system)
    DJANGO_PRIVATE_MEDIA_ROOT     folder of private uploads, never served directly
                                  (default: private-media/)
    TOUCHSTONE_PRIVATE_ACCEL_PREFIX
                                  nginx `internal` location of private uploads: the checked
                                  view answers with X-Accel-Redirect (default: it streams)
    EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS
                                  SMTP; without EMAIL_HOST mail goes to the console
    DJANGO_SECURE_SSL_REDIRECT    "0" disables the HTTPS redirect (default on when debug off)
    TOUCHSTONE_SIGNING_KEY        Ed25519 private key (PEM) for signed certificates
                                  and the transparency log's checkpoints
    TOUCHSTONE_LOG_ORIGIN         the transparency log's name in its checkpoints (default:
                                  the site's host and /log, e.g. touchstone.example/log)
    TOUCHSTONE_CHECKPOINT_FILE    append-only file outside the database that every
                                  published checkpoint is added to (default:
                                  .local/checkpoints.log)
    TOUCHSTONE_SITE_URL           public address used in email links (default http://127.0.0.1:8000)
    TOUCHSTONE_COMMISSION_EXPIRY_DAYS
                                  days before an unanswered commission request expires (14)
    TOUCHSTONE_ORDER_HOLD_MINUTES how long a placed order holds its pieces unpaid (15)
    TOUCHSTONE_ORDER_MAX_HELD     pieces one account may hold unpaid at once (5)
    TOUCHSTONE_ORDER_DELIVER_DAYS days after shipping an order counts as delivered (14)
    TOUCHSTONE_ORDER_RETURN_DAYS  days after delivery a buyer may ask to return (14)
    TOUCHSTONE_REVIEW_EDIT_DAYS   days after writing it a buyer may edit a review (30)
    TOUCHSTONE_REVIEW_REPLY_EDIT_DAYS
                                  days after replying an artisan may edit the reply (7)
    STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET
                                  both set: card payments through Stripe Checkout
    TOUCHSTONE_TASKS              "database" (default) queues tasks for run_worker;
                                  "immediate" runs them after commit (debug, tests)
    TOUCHSTONE_TASK_ATTEMPTS, TOUCHSTONE_TASK_BACKOFF
                                  attempts of a failing task (5), first wait in s (30)
    TOUCHSTONE_HEARTBEAT_SECONDS, TOUCHSTONE_WORKER_STALE
                                  worker heartbeat period (10) and age when lost (60)
    TOUCHSTONE_REDIS_TIMEOUT      seconds before Redis counts as unreachable (0.5)
    DJANGO_LOG_FORMAT             "json" (default with debug off) or "text"
    TOUCHSTONE_SLOW_QUERY_MS      queries slower than this are logged (500)
    TOUCHSTONE_FACET_INDEX_BACKGROUND
                                  1 (default; 0 in tests) rebuilds a process's facet index
                                  in a background thread, the database answering meanwhile
"""

import os
import secrets
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = BASE_DIR / ".local"  # git-ignored: development secrets and keys


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


def _development_secret_key() -> str:
    """A per-checkout key for development, generated once and kept out of git."""
    LOCAL_DIR.mkdir(exist_ok=True)
    key_file = LOCAL_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DJANGO_DEBUG")
# pytest (8.2+) announces itself in the environment; tests run with debug off.
TESTING = "PYTEST_VERSION" in os.environ
# Commands that only read the models and write nothing signed: they run on a fresh
# clone without configuration, with a throwaway key that nothing keeps.
SCHEMA_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate"}
SCHEMA_COMMAND = (
    len(sys.argv) > 1
    and Path(sys.argv[0]).name == "manage.py"
    and sys.argv[1] in SCHEMA_COMMANDS
)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = _development_secret_key()
    elif SCHEMA_COMMAND:
        SECRET_KEY = secrets.token_urlsafe(50)
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off."
        )

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS",
    "localhost,127.0.0.1,[::1],testserver" if DEBUG or TESTING else "",
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "artisans",
    "marketplace",
    "provenance",
    "ops",
]

MIDDLEWARE = [
    # First, so that every log line of the request carries its id.
    "ops.middleware.RequestIdMiddleware",
    "config.middleware.RejectNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that a lock-out raised during authentication becomes the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "config.context_processors.site",
                "marketplace.commissions.context_processors.notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, health-checking only connections that have been idle and
    # preparing the baked queries' statements (config/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "config.db.postgresql"
# PostgreSQL: a reused connection is health-checked before a request's first query only
# when its last answer is older than this (seconds; 0: before every request's first).
DATABASE_HEALTHY_FOR = float(os.environ.get("DJANGO_DB_HEALTHY_FOR", "1"))
# PostgreSQL: the baked queries run as prepared statements. Off (0) behind a pooler in
# transaction mode that cannot keep them (PgBouncer before 1.22).
DATABASE_PREPARED_STATEMENTS = (
    os.environ.get("DJANGO_DB_PREPARED_STATEMENTS", "1") != "0"
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections persist here too (DJANGO_CONN_MAX_AGE): each thread keeps its own,
    # and with it SQLite's page cache and parsed schema, which a connection opened
    # per request would read again every time.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Writers take the lock up front, so concurrent buyers queue instead of
            # failing with "database is locked" half-way through a transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file too: an in-memory database shares one cache between threads and
    # answers "table is locked" at once instead of queueing writers as a file does, so
    # concurrency tests (one-of-a-kind sales) would not test what production does.
    DATABASES["default"]["TEST"] = {
        "NAME": str(
            Path(tempfile.gettempdir()) / f"touchstone-test-{os.getpid()}.sqlite3"
        )
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache that degrades to a miss while Redis is unreachable:
            # pages keep serving from the database, /readyz reports the outage.
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "touchstone"),
            "OPTIONS": {
                "socket_connect_timeout": float(
                    os.environ.get("TOUCHSTONE_REDIS_TIMEOUT", "0.5")
                ),
                "socket_timeout": float(
                    os.environ.get("TOUCHSTONE_REDIS_TIMEOUT", "0.5")
                ),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "marketplace:account"

# The client's address for every address-keyed limit (config/client_ip.py): DRF's
# throttles, django-axes and the sign-up and password-reset limits read it one way.
TRUSTED_PROXY_COUNT = int(os.environ.get("TOUCHSTONE_TRUSTED_PROXIES", "0"))
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
# Sign-ups per address, and password-reset emails per address and per email, per hour.
SIGNUP_LIMIT_PER_HOUR = int(os.environ.get("TOUCHSTONE_SIGNUP_LIMIT", "5"))
PASSWORD_RESET_LIMIT_PER_HOUR = int(os.environ.get("TOUCHSTONE_RESET_LIMIT", "3"))
# An origin-chain event may be recorded at most this many days after it happened, so a
# purchase cannot be backdated into a certification that has since expired.
PROVENANCE_BACKDATE_DAYS = int(
    os.environ.get("TOUCHSTONE_PROVENANCE_BACKDATE_DAYS", "365")
)
# Events per page of a certificate's origin chain (the verdict covers the whole chain).
CERTIFICATE_EVENTS_PER_PAGE = max(
    1, int(os.environ.get("TOUCHSTONE_CERTIFICATE_EVENTS_PER_PAGE", "50"))
)
# Attempts to claim a piece with a hand-over code, per account an hour (3× per address).
CLAIM_LIMIT_PER_HOUR = int(os.environ.get("TOUCHSTONE_CLAIM_LIMIT", "10"))
# django-axes (marketplace/accounts/lockout.py): a username is locked after
# AXES_FAILURE_LIMIT failures from one address, or after the much higher
# LOCKOUT_USERNAME_FAILURE_LIMIT from all addresses together, within the cool-off;
# a completed password reset lifts both.
AXES_HANDLER = "marketplace.accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
LOCKOUT_USERNAME_FAILURE_LIMIT = int(
    os.environ.get("TOUCHSTONE_USERNAME_FAILURE_LIMIT", "50")
)
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "marketplace.accounts.lockout.lockout_response"
AXES_VERBOSE = False

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
# The web process serves public uploads itself with debug on and under `make serve`
# (TOUCHSTONE_SERVE_MEDIA=1); otherwise the front server or object storage does.
SERVE_MEDIA = env_bool("TOUCHSTONE_SERVE_MEDIA", DEBUG)
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
# Private uploads live outside MEDIA_ROOT and are served only by config.private_files.
PRIVATE_MEDIA_ROOT = Path(
    os.environ.get("DJANGO_PRIVATE_MEDIA_ROOT", BASE_DIR / "private-media")
)
# Behind nginx, set to an `internal` location that maps to PRIVATE_MEDIA_ROOT (e.g.
# "/protected/"): the checked view then answers with X-Accel-Redirect and nginx sends
# the bytes. Empty: the view streams the file itself.
PRIVATE_MEDIA_ACCEL_PREFIX = os.environ.get("TOUCHSTONE_PRIVATE_ACCEL_PREFIX", "")
# S3-compatible object storage (config/s3.py), when the storages above name it.
AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL")  # MinIO, R2, …
AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME")
AWS_S3_CUSTOM_DOMAIN = os.environ.get(
    "AWS_S3_CUSTOM_DOMAIN"
)  # a CDN for the public one
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "touchstone-public")
AWS_PRIVATE_STORAGE_BUCKET_NAME = os.environ.get(
    "AWS_PRIVATE_STORAGE_BUCKET_NAME", "touchstone-private"
)
# How long a signed URL to a private object stays valid (seconds).
PRIVATE_SIGNED_URL_SECONDS = int(os.environ.get("TOUCHSTONE_SIGNED_URL_SECONDS", "60"))
STORAGES = {
    "default": {
        "BACKEND": os.environ.get(
            "DJANGO_MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage"
        )
    },
    "private": {
        "BACKEND": os.environ.get(
            "DJANGO_PRIVATE_STORAGE", "config.storage.PrivateFileSystemStorage"
        )
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploads larger than this are refused before they reach a form (bytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email ----------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "Touchstone <hello@touchstone.test>"
)
# The domain of outgoing Message-IDs (the same for every attempt at one email).
EMAIL_MESSAGE_ID_DOMAIN = os.environ.get(
    "TOUCHSTONE_EMAIL_DOMAIN",
    DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost",
)
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not TESTING)
    # Load balancers probe the health endpoints over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Content Security Policy (django-csp): everything is served from this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that a missing or bad credential is a 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly"
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.SafeJSONParser",
        "config.parsers.SafeFormParser",
        "config.parsers.SafeMultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 24,
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonymousRateThrottle",
        "config.throttling.SignedInRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE", "120/minute"),
        "user": os.environ.get("API_USER_RATE", "600/minute"),
        "auth": os.environ.get("API_AUTH_RATE", "30/minute"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Touchstone API",
    "DESCRIPTION": (
        "Handcrafted jewellery with proof of origin: artisans, pieces, hallmarks, "
        "provenance and commissions."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for the metal choices, whichever field (metal, plating metal) uses them.
    "ENUM_NAME_OVERRIDES": {
        "MetalEnum": "marketplace.materials.Metal",
        "PartyKindEnum": "provenance.models.chain.Party.Kind",
        "TraceEventKindEnum": "provenance.models.chain.TraceEvent.Kind",
        "EventCreateKindEnum": "provenance.api.chain.EVENT_CREATE_KINDS",
        "EventItemRoleEnum": "provenance.models.chain.EventItem.Role",
        "ListingKindEnum": "marketplace.catalogue.models.listings.Listing.Kind",
        "PhotoRoleEnum": "marketplace.catalogue.models.listings.ListingPhoto.Role",
        "ListingStatusEnum": "marketplace.catalogue.models.listings.Listing.Status",
        "CommissionKindEnum": "marketplace.commissions.models.Commission.Kind",
        "CommissionStatusEnum": "marketplace.commissions.models.Commission.Status",
        "ArtisanCommissionStatusEnum": "artisans.models.Artisan.CommissionStatus",
        "QuoteStatusEnum": "marketplace.commissions.models.Quote.Status",
        "PaymentKindEnum": "marketplace.commissions.models.CommissionPayment.Kind",
        "PaymentStatusEnum": "marketplace.commissions.models.CommissionPayment.Status",
        "OrderStatusEnum": "marketplace.orders.models.Order.Status",
        "ChargeStatusEnum": "marketplace.payments.models.Charge.Status",
        "RefundStatusEnum": "marketplace.payments.models.Refund.Status",
    },
}

# --- Logging --------------------------------------------------------------------------
# One JSON object per line (python-json-logger) carrying the request id of the request
# or task it belongs to (ops/logs.py); DJANGO_LOG_FORMAT=text for plain lines.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "text" if DEBUG else "json")
# Queries slower than this are logged (touchstone.slow_query) with their SQL.
SLOW_QUERY_MS = float(os.environ.get("TOUCHSTONE_SLOW_QUERY_MS", "500"))
# A request never rebuilds the facet index: a thread does, while the database answers
# (marketplace.catalogue.facet_index.backend). Tests build in line, in their transaction.
FACET_INDEX_BACKGROUND = env_bool("TOUCHSTONE_FACET_INDEX_BACKGROUND", not TESTING)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.logs.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level"},
        },
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
    },
    "loggers": {"axes": {"level": "WARNING"}, "pikepdf": {"level": "WARNING"}},
}

# --- Background tasks -----------------------------------------------------------------
# Django's Tasks API (the django-tasks backport). "database" queues tasks in the
# database for `manage.py run_worker` (django-tasks-db); "immediate" runs each task in
# the process that enqueues it, once its transaction commits (tests, and `make run`).
TASKS_BACKEND = os.environ.get(
    "TOUCHSTONE_TASKS", "immediate" if DEBUG or TESTING else "database"
)
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND],
    }
}
# A failed task runs again after TASKS_RETRY_BACKOFF_SECONDS, doubling each time, up to
# TASKS_MAX_ATTEMPTS attempts in all; then it stays failed (admin: Task results).
TASKS_MAX_ATTEMPTS = int(os.environ.get("TOUCHSTONE_TASK_ATTEMPTS", "5"))
TASKS_RETRY_BACKOFF_SECONDS = int(os.environ.get("TOUCHSTONE_TASK_BACKOFF", "30"))
# The worker's heartbeat, and how old it may be before the worker counts as lost
# (/readyz fails, its running task is given to another worker).
TASKS_HEARTBEAT_SECONDS = float(os.environ.get("TOUCHSTONE_HEARTBEAT_SECONDS", "10"))
TASKS_WORKER_STALE_SECONDS = float(os.environ.get("TOUCHSTONE_WORKER_STALE", "60"))
TASKS_KEEP_SUCCESSFUL_DAYS = 7
TASKS_KEEP_FAILED_DAYS = 30
# The periodic jobs `manage.py run_schedule` enqueues: name → task and interval (s).
TOUCHSTONE_SCHEDULE = {
    "orders-process": {"task": "marketplace.orders.tasks.orders_process", "every": 60},
    "commissions-expire": {
        "task": "marketplace.commissions.tasks.commissions_expire",
        "every": 3600,
    },
    "catalogue-changes-prune": {
        "task": "marketplace.catalogue.tasks.catalogue_changes_prune",
        "every": 3600,
    },
    "checkpoint-publish": {
        "task": "provenance.tasks.checkpoint_publish",
        "every": 600,
    },
    "chains-verify": {"task": "provenance.tasks.chains_verify", "every": 86400},
    "log-verify": {"task": "provenance.tasks.log_verify", "every": 86400},
    "emails-flush": {"task": "ops.tasks.emails_flush", "every": 300},
    "task-results-prune": {"task": "ops.tasks.task_results_prune", "every": 86400},
}

# --- Touchstone -----------------------------------------------------------------------
SITE_NAME = "Touchstone"
# The site's public address, for links in emails.
SITE_URL = os.environ.get("TOUCHSTONE_SITE_URL", "http://127.0.0.1:8000")
# Commission requests left unanswered this many days expire (manage.py expire_commissions).
COMMISSION_REQUEST_EXPIRY_DAYS = int(
    os.environ.get("TOUCHSTONE_COMMISSION_EXPIRY_DAYS", "14")
)
# Orders: a placed order holds its pieces this long while the buyer pays; one account
# holds at most this many pieces unpaid; a shipped order counts as delivered after
# ORDER_AUTO_DELIVER_DAYS; returns may be asked for ORDER_RETURN_DAYS after delivery.
ORDER_HOLD_MINUTES = int(os.environ.get("TOUCHSTONE_ORDER_HOLD_MINUTES", "15"))
ORDER_MAX_HELD_PIECES = int(os.environ.get("TOUCHSTONE_ORDER_MAX_HELD", "5"))
ORDER_AUTO_DELIVER_DAYS = int(os.environ.get("TOUCHSTONE_ORDER_DELIVER_DAYS", "14"))
ORDER_RETURN_DAYS = int(os.environ.get("TOUCHSTONE_ORDER_RETURN_DAYS", "14"))
# Reviews: a buyer edits their review this many days after writing it; the artisan
# edits their reply this many days after replying.
REVIEW_EDIT_DAYS = int(os.environ.get("TOUCHSTONE_REVIEW_EDIT_DAYS", "30"))
REVIEW_REPLY_EDIT_DAYS = int(os.environ.get("TOUCHSTONE_REVIEW_REPLY_EDIT_DAYS", "7"))
# Card payments: Stripe Checkout when both are set; otherwise bank transfer only.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Benchmarks mount a constant-JSON floor view at /bench/floor/ (bench/README.md).
BENCHMARK = env_bool("TOUCHSTONE_BENCH")

# Ed25519 key that signs exported certificates (provenance/signing.py). In development and
# tests a key is generated once into the git-ignored .local/ folder, like the secret key.
TOUCHSTONE_SIGNING_KEY = os.environ.get("TOUCHSTONE_SIGNING_KEY", "").replace(
    "\\n", "\n"
)
if not TOUCHSTONE_SIGNING_KEY and (DEBUG or TESTING):
    _signing_key_file = LOCAL_DIR / "signing_key.pem"
    if not _signing_key_file.exists():
        from provenance.signing import generate_private_key_pem

        LOCAL_DIR.mkdir(exist_ok=True)
        _signing_key_file.write_text(generate_private_key_pem())
        _signing_key_file.chmod(0o600)
    TOUCHSTONE_SIGNING_KEY = _signing_key_file.read_text()
# The transparency log (docs/verify.md): its origin line and key name, never changed
# once checkpoints are published, and the file outside the database that keeps a copy
# of every checkpoint (in production, a mounted volume synced to object storage or a
# witness), so that the database alone cannot rewrite them.
TOUCHSTONE_LOG_ORIGIN = os.environ.get("TOUCHSTONE_LOG_ORIGIN", "") or (
    SITE_URL.split("://", 1)[-1].rstrip("/") + "/log"
)
TOUCHSTONE_CHECKPOINT_FILE = Path(
    os.environ.get("TOUCHSTONE_CHECKPOINT_FILE", LOCAL_DIR / "checkpoints.log")
)
# A keyed hash turns an owner into "Owner #a3f9" on public certificates.
TOUCHSTONE_OWNER_PSEUDONYM_KEY = os.environ.get("TOUCHSTONE_OWNER_PSEUDONYM_KEY", "")
