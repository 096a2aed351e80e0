"""Settings shared by every environment. Values come from the environment (django-environ)."""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "simple_history",
    "django_htmx",
    "axes",
    "csp",
    "icp_portal.security.apps.SecurityConfig",
    "partners",
    "agreements",
    "workflow",
]

MIDDLEWARE = [
    # /healthz and /readyz are answered first: no host check, session or database on the way.
    "icp_portal.health.HealthMiddleware",
    "icp_portal.security.middleware.RequestSanityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "icp_portal.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "icp_portal.security.middleware.SessionTimeoutMiddleware",
    "icp_portal.security.middleware.RefusalLogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "icp_portal.middleware.LiaisonAccessLogMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so CSRF and authentication have run: one-time browser form tokens.
    "icp_portal.idempotency.FormTokenMiddleware",
]

ROOT_URLCONF = "icp_portal.urls"
WSGI_APPLICATION = "icp_portal.wsgi.application"

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
                "icp_portal.context_processors.portal",
            ],
            # {% form_token %} in every template (a form's one-time token without JavaScript).
            "builtins": ["icp_portal.form_tokens"],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "partners.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=15)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_ENGINE = "django.contrib.sessions.backends.db"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))

STORAGE_BACKEND = env("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME", default="icp-portal"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

MAX_UPLOAD_MB = env.int("MAX_UPLOAD_MB", default=25)
# The most rows one import file may hold (workflow/imports/reading.py).
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ICP Portal <icp-portal@localhost>")
# E-mail goes through the outbox (workflow.emails): seconds the SMTP connection may wait at each
# step (connect, greeting, each reply), tries before a message is given up, and the retry delays.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=12)
EMAIL_RETRY_BASE_SECONDS = env.int("EMAIL_RETRY_BASE_SECONDS", default=30)
EMAIL_RETRY_MAX_SECONDS = env.int("EMAIL_RETRY_MAX_SECONDS", default=900)
EMAIL_MESSAGE_ID_DOMAIN = env("EMAIL_MESSAGE_ID_DOMAIN", default="icp-portal.invalid")

# --- the portal's domain settings (see README "Configuration") ---
PORTAL_MARKING = env("PORTAL_MARKING", default="CUI")
DEMO_PASSWORD = env("DEMO_PASSWORD", default="icp-demo-password-2026")
SILENCE_PERIOD_DAYS = env.int("SILENCE_PERIOD_DAYS", default=21)
SILENCE_REMINDER_DAYS = env.int("SILENCE_REMINDER_DAYS", default=5)
STATE_TRANSMITTAL_DAYS = env.int("STATE_TRANSMITTAL_DAYS", default=15)
CONGRESSIONAL_WAIT_DAYS = env.int("CONGRESSIONAL_WAIT_DAYS", default=30)
EXPIRY_WARNING_DAYS = [180, 90, 30]
# Days an agreement may stay in a state before the stalled-stage reminder fires.
STALLED_STAGE_DAYS = {
    "proposal": env.int("STALLED_PROPOSAL_DAYS", default=60),
    "ssoi_drafting": env.int("STALLED_SSOI_DAYS", default=90),
    "rad_review": env.int("STALLED_RAD_DAYS", default=45),
    "negotiation": env.int("STALLED_NEGOTIATION_DAYS", default=365),
    "rfa_review": env.int("STALLED_RFA_DAYS", default=45),
    "approved": env.int("STALLED_APPROVED_DAYS", default=90),
    "signing": env.int("STALLED_SIGNING_DAYS", default=90),
}

# --- REST framework ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "partners.authentication.ApiTokenAuthentication",
    ],
    "EXCEPTION_HANDLER": "icp_portal.api_errors.api_exception_handler",
    # orjson writes the same compact UTF-8 JSON as DRF's renderer in a fraction of the time
    # (a page of 100 agreements is 127 KB).
    "DEFAULT_RENDERER_CLASSES": [
        "drf_orjson_renderer.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "icp_portal.security.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "icp_portal.throttling.AnonRateThrottle",
        "icp_portal.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="1200/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ICP Portal API",
    "DESCRIPTION": "International Cooperative Program agreements: lifecycle, coordination, documents.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per shared choice set (partners/api/schema.py explains; check --deploy reads it here).
    "ENUM_NAME_OVERRIDES": {
        "AgreementKindEnum": "agreements.choices.AgreementKind",
        "AgreementStateEnum": "agreements.choices.State",
        "DocumentKindEnum": "agreements.choices.DocumentKind",
        "ContributionKindEnum": "agreements.choices.ContributionKind",
        "ParticipantRoleEnum": "agreements.choices.ParticipantRole",
        "PartnerKindEnum": "partners.models.PartnerKind",
        "UserRoleEnum": "partners.models.Role",
        "ObligationKindEnum": "workflow.models.ObligationKind",
        "PositionStatusEnum": "workflow.models.PositionStatus",
        "RenderKindEnum": "workflow.models.RenderKind",
        "RenderStatusEnum": "workflow.models.RenderStatus",
        "RecordablePositionStatusEnum": [("concur", "Concur"), ("non_concur", "Non-concur"), ("comment", "Comment")],
    },
}

# --- Celery ---
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

# --- cache (dashboard figures, API token lookups) ---
# Seconds the dashboard's figures are reused per visibility scope (a transition, edit or coordination
# event starts afresh at once), and how often its median days per stage is recomputed.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)
DASHBOARD_MEDIANS_SECONDS = env.int("DASHBOARD_MEDIANS_SECONDS", default=300)
# Exports: a CSV of up to this many agreements is streamed, an XLSX of up to EXPORT_SYNC_MAX_ROWS is
# written while the person waits; larger ones are background jobs downloaded when ready.
EXPORT_CSV_STREAM_MAX_ROWS = env.int("EXPORT_CSV_STREAM_MAX_ROWS", default=250_000)
EXPORT_SYNC_MAX_ROWS = env.int("EXPORT_SYNC_MAX_ROWS", default=20_000)
# Seconds a verified API token is remembered by the web process; a revocation clears it at once.
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=60)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# A task is acknowledged only once it has finished; a worker killed mid-task gives it back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# Rendering one PDF has its own, tighter limits (workflow.tasks.render_job_run).
CELERY_RENDER_SOFT_TIME_LIMIT = env.int("CELERY_RENDER_SOFT_TIME_LIMIT", default=120)
CELERY_RENDER_TIME_LIMIT = env.int("CELERY_RENDER_TIME_LIMIT", default=180)
# Sized to the longest task's hard time limit: an unacknowledged task is not redelivered while it
# can still be running, and a task whose worker died unannounced comes back soon after.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int(
        "CELERY_VISIBILITY_TIMEOUT", default=max(CELERY_TASK_TIME_LIMIT, CELERY_RENDER_TIME_LIMIT) + 60
    ),
    "socket_connect_timeout": 5,
    "socket_timeout": 10,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request hands a message to the broker with these (seconds): a hung broker costs a request
# at most about this long, and the outbox relays the message later.
BROKER_PUBLISH_TIMEOUT = env.float("BROKER_PUBLISH_TIMEOUT", default=0.5)
# After a failed hand-over, requests leave relaying to the periodic outbox sweep for this long.
BROKER_PUBLISH_PAUSE_SECONDS = env.float("BROKER_PUBLISH_PAUSE_SECONDS", default=10)
CELERY_TASK_IGNORE_RESULT = True
# WeasyPrint's native memory grows with every render, about 250 KB each, and neither the Python
# heap nor malloc_trim gives it back (measured by `make bench`, bench/worker_memory.py): a worker
# child is replaced after this many tasks, or once its resident memory passes this many kilobytes
# (after the task: a register of every agreement in force peaks near 400 MB, and its child goes).
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=50)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=250_000)
CELERY_TASK_TRACK_STARTED = False
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TIMEZONE = "UTC"
# Beat records its last tick for /readyz (icp_portal.celery.HeartbeatScheduler).
CELERY_BEAT_SCHEDULER = "icp_portal.celery:HeartbeatScheduler"
# Test-only: seconds a render sleeps mid-way, so a test can kill the worker during it. Always 0
# outside tests.
RENDER_TEST_DELAY_SECONDS = env.float("RENDER_TEST_DELAY_SECONDS", default=0)
# Reporting obligations: remind this many days before the due date (and again once overdue).
OBLIGATION_REMINDER_DAYS = env.int("OBLIGATION_REMINDER_DAYS", default=7)
# Where the links in e-mail digests (sent by Celery, outside any request) point.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
# A render that started this long ago and is not finished cannot be running any more (its hard
# time limit has passed): its worker died, so the sweep queues it again and its user may retry it.
RENDER_STALE_SECONDS = env.int("RENDER_STALE_SECONDS", default=CELERY_RENDER_TIME_LIMIT + 30)
# A job still queued this long after its message went to the broker is handed over again (a broker
# that lost its queue, e.g. restarted without persistence).
RENDER_QUEUED_STALE_SECONDS = env.int("RENDER_QUEUED_STALE_SECONDS", default=300)
# The same for an import batch waiting to be checked or imported by the worker.
IMPORT_QUEUED_STALE_SECONDS = env.int("IMPORT_QUEUED_STALE_SECONDS", default=300)
# How often beat runs the sweeps that heal outages (seconds).
OUTBOX_RELAY_SECONDS = env.float("OUTBOX_RELAY_SECONDS", default=30)
EMAIL_SWEEP_SECONDS = env.float("EMAIL_SWEEP_SECONDS", default=30)
RENDER_SWEEP_SECONDS = env.float("RENDER_SWEEP_SECONDS", default=60)
# /readyz: a worker or beat that has not reported for longer than this is not ready (seconds).
HEARTBEAT_SECONDS = env.float("HEARTBEAT_SECONDS", default=10)
READYZ_WORKER_MAX_AGE = env.int("READYZ_WORKER_MAX_AGE", default=60)
READYZ_BEAT_MAX_AGE = env.int("READYZ_BEAT_MAX_AGE", default=120)
# /readyz reports when the database role could rewrite the audit trail (a superuser, the tables'
# owner: docs/operations.md, Database roles); true makes that a failed check (503), not a warning.
READYZ_AUDIT_ROLE_REQUIRED = env.bool("READYZ_AUDIT_ROLE_REQUIRED", default=False)
# Idempotency-Key records are kept this long; a key may be reused after that.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# Seconds a client is told to wait (Retry-After) when the database or the broker is down.
OUTAGE_RETRY_AFTER_SECONDS = env.int("OUTAGE_RETRY_AFTER_SECONDS", default=30)
CELERY_BEAT_SCHEDULE: dict = {
    # Relay outbox rows that could not be handed to the broker when their change committed.
    "outbox-relay": {"task": "workflow.tasks.outbox_relay", "schedule": OUTBOX_RELAY_SECONDS},
    # Send the e-mail that is due: retries after a failure, and messages whose task was lost.
    "emails-send-due": {"task": "workflow.tasks.emails_send_due", "schedule": EMAIL_SWEEP_SECONDS},
    # Forget expired Idempotency-Keys and used form tokens.
    "idempotency-expire": {"task": "workflow.tasks.idempotency_records_expire", "schedule": 3600.0},
    # Deemed concurrence, congressional waits that have ended, fixed entry-into-force dates, expiries.
    "lifecycle-sweeps": {"task": "workflow.tasks.lifecycle_sweeps", "schedule": 15 * 60.0},
    # Reminders (silence deadlines, stalled stages, expiry warnings, obligations), then the one
    # e-mail digest per person and day. Safe to run again: nothing is sent twice.
    "reminders": {
        "task": "workflow.tasks.reminders_run",
        "schedule": crontab(minute=0, hour=env.int("DIGEST_HOUR_UTC", default=6)),
    },
    # Render jobs whose worker died mid-render, or whose message a broker lost.
    "render-requeue-stale": {"task": "workflow.tasks.render_jobs_requeue_stale", "schedule": RENDER_SWEEP_SECONDS},
    # Import batches whose message a broker lost, or whose worker died (same period).
    "import-requeue-stale": {
        "task": "workflow.tasks.import_batches_requeue_stale",
        "schedule": RENDER_SWEEP_SECONDS,
    },
}

# --- Security (docs/security.md maps each control to the STIG / ASVS item it meets) ---
# The shared cache holds sign-in lockouts, the address slow-down and the token failure counts:
# every process must see the same counts, so production points it at Redis (production.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "icp-portal"}}
# Addresses (or CIDR blocks) of the reverse proxies whose X-Forwarded-For is believed.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# DoD Notice and Consent Banner, acknowledged on the sign-in form before credentials are checked.
DEFAULT_CONSENT_BANNER_TEXT = (
    "You are accessing a U.S. Government (USG) Information System (IS) that is provided for "
    "USG-authorized use only. By using this IS (which includes any device attached to this IS), "
    "you consent to the following conditions:\n"
    "- The USG routinely intercepts and monitors communications on this IS for purposes including, "
    "but not limited to, penetration testing, COMSEC monitoring, network operations and defense, "
    "personnel misconduct (PM), law enforcement (LE), and counterintelligence (CI) investigations.\n"
    "- At any time, the USG may inspect and seize data stored on this IS.\n"
    "- Communications using, or data stored on, this IS are not private, are subject to routine "
    "monitoring, interception, and search, and may be disclosed or used for any USG-authorized purpose.\n"
    "- This IS includes security measures (e.g., authentication and access controls) to protect USG "
    "interests--not for your personal benefit or privacy.\n"
    "- Notwithstanding the above, using this IS does not constitute consent to PM, LE or CI "
    "investigative searching or monitoring of the content of privileged communications, or work "
    "product, related to personal representation or services by attorneys, psychotherapists, or "
    "clergy, and their assistants. Such communications and work product are private and "
    "confidential. See User Agreement for details."
)
# Lines starting "- " are shown as bullet points; "\n" in the variable starts a new line.
CONSENT_BANNER_TEXT = env("CONSENT_BANNER_TEXT", default="") or DEFAULT_CONSENT_BANNER_TEXT

# Account lockout (django-axes, keyed on the account name only; security/lockout.py).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=3)
LOCKOUT_WINDOW_MINUTES = env.int("LOCKOUT_WINDOW_MINUTES", default=15)
# Hours a locked account stays locked unless an administrator unlocks it first; 0: until unlocked.
LOCKOUT_COOLOFF_HOURS = env.float("LOCKOUT_COOLOFF_HOURS", default=3)
AXES_HANDLER = "icp_portal.security.lockout.AccountLockoutHandler"
AXES_CACHE = "default"
AXES_COOLOFF_TIME = "icp_portal.security.lockout.lockout_cooloff"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_CLIENT_IP_CALLABLE = "icp_portal.middleware.client_address"
AXES_LOCKOUT_CALLABLE = "icp_portal.security.lockout.lockout_response"
AXES_VERBOSE = False
# axes' own admin pages list database attempts, which the cache handler never writes; the
# security log (admin → Security events) is the record.
AXES_ENABLE_ADMIN = False
# axes.W006 asks for the address among the lockout keys. Here it is deliberately not: an address
# (a proxy, a base's NAT) is shared by many people, so failures from it only slow it
# (LOGIN_ADDRESS_*), and never lock other people's accounts (STIG V-222432, ASVS 2.2.1).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Failures from one address past this many in the window only slow it to one attempt per delay.
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=10)
LOGIN_ADDRESS_DELAY_SECONDS = env.int("LOGIN_ADDRESS_DELAY_SECONDS", default=5)

# Sessions: idle and absolute time-outs enforced on the server (security/middleware.py).
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=15)
ADMIN_SESSION_IDLE_TIMEOUT_MINUTES = env.int("ADMIN_SESSION_IDLE_TIMEOUT_MINUTES", default=10)
SESSION_ABSOLUTE_TIMEOUT_HOURS = env.int("SESSION_ABSOLUTE_TIMEOUT_HOURS", default=12)
# Seconds before the idle time-out that the page offers "Stay signed in".
SESSION_WARNING_SECONDS = env.int("SESSION_WARNING_SECONDS", default=120)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_HOURS * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_HTTPONLY = False
CSRF_COOKIE_SAMESITE = "Strict"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), interest-cohort=()"
)

# API tokens.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
API_TOKENS_FOR_LIAISONS = env.bool("API_TOKENS_FOR_LIAISONS", default=False)
API_TOKENS_FOR_ADMINS = env.bool("API_TOKENS_FOR_ADMINS", default=False)
API_TOKEN_FAILURE_LIMIT = env.int("API_TOKEN_FAILURE_LIMIT", default=10)
API_TOKEN_FAILURE_WINDOW_MINUTES = env.int("API_TOKEN_FAILURE_WINDOW_MINUTES", default=15)

# CAC/PKI sign-in through a TLS proxy that verifies the certificate (off by default).
CAC_ENABLED = env.bool("CAC_ENABLED", default=False)
CAC_SUBJECT_HEADER = env("CAC_SUBJECT_HEADER", default="") or "X-SSL-Client-S-DN"
CAC_TRUSTED_PROXIES = env.list("CAC_TRUSTED_PROXIES", default=[])

# Uploads: the types accepted, decided by content (security/uploads.py).
UPLOAD_ALLOWED_TYPES = env.list("UPLOAD_ALLOWED_TYPES", default=[]) or ["pdf", "docx", "xlsx", "png", "jpeg", "txt"]
# Deepest nesting of a JSON request body.
JSON_MAX_DEPTH = 32

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
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # No calendar feed token in any log line (e.g. Django's "Not Found: <path>" for a revoked feed).
    "filters": {"redact": {"()": "icp_portal.log_redaction.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint reports every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
