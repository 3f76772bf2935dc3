"""Settings, all from the environment (twelve-factor).

DJANGO_ENV picks the defaults: `production` refuses to start without a secret key and allowed
hosts; `development` (the default, used by `make run`) and `test` may make a local secret.
DATABASE_URL selects PostgreSQL; without it the service uses an embedded SQLite file.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CLINIC_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ("production", "development", "test"):
    raise ImproperlyConfigured("DJANGO_ENV must be production, development or test")
PRODUCTION = DJANGO_ENV == "production"


def _local_secret_key() -> str:
    """A secret for the local demo only, kept in var/ so sessions survive a restart."""
    path = VAR_DIR / "demo-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
    SECRET_KEY = _local_secret_key()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"],
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "clinic",
    "triage",
    "referrals",
    "fhir_r4",
]

MIDDLEWARE = [
    "clinic.request_context.RequestIdMiddleware",
    "clinic.middleware.NoStoreMiddleware",
    "clinic.middleware.RateLimitHeadersMiddleware",
    "clinic.middleware.DocsPagePolicyMiddleware",
    "clinic.middleware.LengthRequiredMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Admin templates overridden here must win over django.contrib.admin's own.
        "DIRS": [BASE_DIR / "clinic" / "templates"],
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

# SQLite is set up for a few concurrent writers: WAL lets readers run beside a writer,
# IMMEDIATE takes the write lock when a transaction starts (so two writers queue instead of
# deadlocking on a lock upgrade), and the busy timeout makes them wait rather than fail.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; "
        "PRAGMA foreign_keys=ON;"
    ),
}
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(VAR_DIR / "clinic.sqlite3")),
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
# Repeated intake list pages planned once per connection (clinic.prepared); off behind a pooler
# that shares server sessions between connections (PgBouncer's transaction mode).
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", SQLITE_OPTIONS)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    # The covering indexes' INCLUDE columns are for PostgreSQL at scale; SQLite builds the same
    # indexes on their key columns alone, which is all the demo needs. Without this, every
    # `migrate` (and so `make run`) greets the demo's user with a warning per such index.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Transport security. In production TLS ends at a proxy or load balancer that sets
# X-Forwarded-Proto; everything is served over HTTPS and browsers are told to insist on it.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
    # /healthz is polled over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("CLINIC_TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (tests, a fresh checkout) whitenoise serves straight from the apps.
WHITENOISE_USE_FINDERS = not PRODUCTION

# A whole intake is a few kilobytes; anything far larger is refused (413) before it is parsed.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "clinic.api.authentication.ApiKeyAuthentication",
        "clinic.api.authentication.StaffTokenAuthentication",
        "clinic.api.authentication.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["clinic.api.permissions.IsBranchCaller"],
    "DEFAULT_PARSER_CLASSES": ["clinic.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["clinic.api.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "clinic.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["clinic.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "clinic.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": [
        "clinic.api.throttling.CallerRateThrottle",
        "clinic.api.throttling.AnonymousRateThrottle",
    ],
    "PAGE_SIZE": 25,
}

# How many proxies of our own stand in front of the app (load balancer, TLS proxy), each
# appending to X-Forwarded-For. The address the outermost one saw is the one counted for
# throttling and failed sign-ins (clinic/client_address.py); with none, the header is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT  # for any DRF throttle that asks DRF

# Throttling counts in a cache every app server shares: Redis when REDIS_URL is set (several
# processes or machines), local memory otherwise (one process: the demo and most tests).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="clinic"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# On Redis each process remembers the API keys (with their branches) it has read, and reads
# one again after any change to a key or a branch anywhere (clinic/access_epoch.py). A write
# that bypasses the ORM's signals (QuerySet.update, raw SQL) is seen after at most this many
# seconds. 0: read every key from the database on every request, as without Redis.
API_KEY_CACHE_MAX_AGE = env.float("API_KEY_CACHE_MAX_AGE", default=30.0)

# Background work (ruleset replays, webhook deliveries) runs in a Celery worker, a process of
# its own (clinic/celery.py, the Procfile's `worker:`), so that no request waits on it. The
# broker carries the tasks from the web processes to the workers: CELERY_BROKER_URL if set,
# else the Redis of REDIS_URL (the cache's keys carry its KEY_PREFIX, Celery's do not, so the
# two do not collide).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
if not CELERY_BROKER_URL:
    if PRODUCTION:
        # Without a shared broker the web would queue tasks that no worker ever sees.
        raise ImproperlyConfigured("CELERY_BROKER_URL or REDIS_URL must be set in production")
    # Development and tests without Redis: kombu's filesystem transport keeps the queue as
    # files in var/, so `make run` needs nothing installed beside Python. Web and worker both
    # write to and read from the same folder. Processed messages are moved (an atomic rename
    # within one file system, so two consumers never take the same one) into `processed`,
    # which may be emptied at any time.
    _broker_dir = VAR_DIR / "celery-broker"
    _broker_folders = {
        name: _broker_dir / name for name in ("queue", "processed", "control")
    }  # fmt: skip
    for _folder in _broker_folders.values():
        _folder.mkdir(parents=True, exist_ok=True)
    # The host is meaningless to this transport; naming one spares a warning per connection.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_folders["queue"]),
        "data_folder_out": str(_broker_folders["queue"]),
        "processed_folder": str(_broker_folders["processed"]),
        "store_processed": True,
        # Where broadcasts (`celery inspect ping`, remote control) find their queues; kombu's
        # default is a folder relative to the working directory.
        "control_folder": str(_broker_folders["control"]),
    }
# Tests run tasks in the test's own process, at once, unless a test starts a real worker;
# a task's exception then fails the test rather than vanishing into a log.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=DJANGO_ENV == "test")
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it has finished, not when it is taken: a worker that dies
# mid-task (a deploy, the OOM killer) leaves it on the broker for another worker. Tasks must
# therefore be safe to run twice. Each worker process takes one task at a time, so a long
# replay does not hold back tasks queued behind it that another process could run.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2)
# Two queues, two workers. The default queue (`celery`) has the ruleset replays, CPU-bound:
# the Procfile's `worker:`, a process per task (CELERY_WORKER_CONCURRENCY). Webhook deliveries
# (and their sweep) have a queue of their own, consumed by `webhooks:` with a pool of threads
# (its --concurrency: WEBHOOK_WORKER_CONCURRENCY in the Procfile, default 16), since sending
# is mostly waiting on receivers: a replay never delays a delivery, and slow receivers (one
# thread each at most, clinic.webhooks) never hold up a replay.
WEBHOOK_QUEUE = "webhooks"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    name: {"queue": WEBHOOK_QUEUE}
    for name in ("clinic.deliver_webhook", "clinic.deliver_webhooks", "clinic.webhooks_sweep")
}
# No result backend: tasks record what they did in the database, where the API reads it.
CELERY_TASK_IGNORE_RESULT = True
# JSON only: a pickled message from whoever can write to the broker could run code.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# The worker logs through LOGGING below (JSON lines without patient data), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A worker started before its broker (a deploy, a reboot) waits for it instead of exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Intakes per replay part (triage.replays). Read from the environment so that tests which start
# a real web server and worker can cut a small history into many parts, as a large one is.
REPLAY_PART_SIZE = env.int("REPLAY_PART_SIZE", default=20_000)

# Webhooks (clinic.webhooks). Their signing secrets are encrypted at rest with Fernet keys:
# WEBHOOK_SECRET_KEY is one or more (comma-separated; the first encrypts, any decrypts, so a key
# can be rotated), else a key derived from the Django secret key. Keep it out of the database's
# backups, or a dump alone would reveal the secrets.
WEBHOOK_SECRET_KEY = env.str("WEBHOOK_SECRET_KEY", default="")
if PRODUCTION and not WEBHOOK_SECRET_KEY.strip(" ,"):
    # Derived from the Django secret key, rotating that key would make every stored webhook
    # secret unreadable, and one leaked value would give away both.
    raise ImproperlyConfigured("WEBHOOK_SECRET_KEY must be set in production")
# Receivers on loopback, private, link-local or other non-public addresses, and plain http,
# are refused unless this is on: on by default only for tests and the local demo.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool(
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=DJANGO_ENV in ("development", "test")
)
# How often the worker's sweep looks for due retries and deliveries whose task was lost.
WEBHOOK_SWEEP_SECONDS = env.float("WEBHOOK_SWEEP_SECONDS", default=5.0)
# A due delivery whose task was sent this long ago and has not run is sent again (lost tasks).
WEBHOOK_REQUEUE_SECONDS = env.float("WEBHOOK_REQUEUE_SECONDS", default=120.0)
# The `worker:` process's beat (`celery -A clinic worker -B`, as the Procfile starts it; one
# beat in all) sends the sweep, which CELERY_TASK_ROUTES puts on the webhooks queue.
CELERY_BEAT_SCHEDULE = {
    "webhooks-sweep": {"task": "clinic.webhooks_sweep", "schedule": WEBHOOK_SWEEP_SECONDS},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery-beat-schedule")

# Staff API tokens (django-rest-knox): only a SHA-512 digest is stored; they expire and can be
# revoked.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("STAFF_TOKEN_TTL_HOURS", default=10)),
    "AUTH_HEADER_PREFIX": "Token",
}

# How long an Idempotency-Key is remembered (at least 24 hours; purge_idempotency_keys).
IDEMPOTENCY_RETENTION = timedelta(hours=env.int("IDEMPOTENCY_RETENTION_HOURS", default=48))

# Requests per API key or signed-in person, and per address for calls without credentials.
THROTTLE_RATES = {
    "caller": env.str("THROTTLE_CALLER_RATE", default="600/min"),
    "anonymous": env.str("THROTTLE_ANONYMOUS_RATE", default="120/min"),
}

# Password guessing (the admin's sign-in page and POST /api/v1/auth/tokens/): this many failed
# sign-ins for one account name, or from one address, within SIGN_IN_LOCKOUT_MINUTES lock it
# for that long, even with the right password (clinic/sign_in_guard.py).
SIGN_IN_MAX_FAILURES_PER_ACCOUNT = env.int("SIGN_IN_MAX_FAILURES_PER_ACCOUNT", default=10)
SIGN_IN_MAX_FAILURES_PER_ADDRESS = env.int("SIGN_IN_MAX_FAILURES_PER_ADDRESS", default=30)
SIGN_IN_LOCKOUT_MINUTES = env.int("SIGN_IN_LOCKOUT_MINUTES", default=15)
if min(SIGN_IN_MAX_FAILURES_PER_ACCOUNT, SIGN_IN_MAX_FAILURES_PER_ADDRESS,
       SIGN_IN_LOCKOUT_MINUTES) < 1:  # fmt: skip
    raise ImproperlyConfigured("The SIGN_IN_ limits must be 1 or more")

SPECTACULAR_SETTINGS = {
    "TITLE": "Clinic triage API",
    "DESCRIPTION": (
        "Back-pain intake triage for spine and physiotherapy clinics. Reception systems send "
        "`Authorization: Api-Key <key>`; every error names the failing field."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # the default, kept
        "clinic.api.schema.declare_response_headers",
        "clinic.api.operations.tag_operations",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RedFlagAnswerEnum": "triage.engine.vocabulary.RED_FLAG_ANSWERS",
        "RedFlagStatusEnum": "triage.engine.vocabulary.RED_FLAG_STATUSES",
        "SexEnum": "triage.engine.vocabulary.SEXES",
        "ServiceEnum": "triage.engine.vocabulary.SERVICES",
        "ImagingEnum": "triage.engine.vocabulary.IMAGING",
        "HealthStatusEnum": "clinic.api.health_views.HEALTH_STATES",
        "DispositionEnum": "triage.engine.vocabulary.DISPOSITIONS",
        "UrgencyEnum": "triage.engine.vocabulary.URGENCIES",
        "ReferredServiceEnum": "referrals.models.REFERRED_SERVICES",
        "ReferralStatusEnum": "referrals.workflow.STATUSES",
        "StaffRoleEnum": "clinic.models.StaffRole.Role",
        "OutcomePairEnum": "triage.api.ruleset_serializers.OUTCOME_PAIRS",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "clinic.request_context.RequestIdFilter"}},
    "formatters": {"json": {"()": "clinic.log_format.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # The access line of RequestIdMiddleware replaces these (they print raw paths).
        "django.server": {"handlers": [], "propagate": False},
        "django.request": {"level": "ERROR"},
        # WeasyPrint logs each step of every PDF at INFO and the CSS it ignores as warnings;
        # its messages may quote the page, which holds a patient's details.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
    },
}
