"""IKM Relief settings: one file, read from the environment.

Every variable is listed in ``.env.example``. Bad values stop start-up with one line
naming the variable (see ``ikmrelief/env.py``). One file on purpose (past 400 lines): every
setting and its reason in one place to read, as shared/CONVENTIONS.md asks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from ikmrelief.env import (
    EnvError,
    celery_broker_url,
    check_redis_url,
    email_settings,
    env_bool,
    env_choice,
    env_crontab,
    env_int,
    env_list,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me" if DEBUG else None)
if not DEBUG and len(SECRET_KEY) < 32:
    raise EnvError("DJANGO_SECRET_KEY terlalu pendek untuk produksi (at least 32 characters when DJANGO_DEBUG=0)")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # OpClass in index expressions (pg_trgm), trigram lookups
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_filters",
    "pgtrigger",
    "pghistory",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "ledger",
    "accounts",
    "programs",
    "recipients",
    "reports",
    "ikmrelief",  # the shell, last: its load_demo command and dashboard gather every app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Public GET/HEAD requests may read from the replica (DATABASE_REPLICA_URL).
    "core.replica.PublicReadMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML, CSV and JSON compressed for clients that accept it (static files come pre-compressed
    # from WhiteNoise above). Django's GZip pads each response against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChosenLanguageOnlyMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.RejectControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with a second factor this session (django-otp) …
    "django_otp.middleware.OTPMiddleware",
    # … which every staff page requires (accounts/second_factor.py).
    "accounts.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Responses to a logged-in user carry personal data or the user's name: never stored.
    "core.middleware.PrivateNoStoreMiddleware",
    # Last: counts failed logins and locks out before a password is hashed (django-axes).
    "axes.middleware.AxesMiddleware",
    # Stamps every history row written during a request with the user and URL.
    "pghistory.middleware.HistoryMiddleware",
]

ROOT_URLCONF = "ikmrelief.urls"
WSGI_APPLICATION = "ikmrelief.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

AUTHENTICATION_BACKENDS = [
    # First: a locked-out username or address is refused before any password is hashed.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "accounts.backends.ScopedModelBackend",
]

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
                "django.template.context_processors.i18n",
                "core.context_processors.site",
                "accounts.context_processors.notifications",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------
# PostgreSQL is the only database; Redis is the cache and the Celery broker. The launcher
# (``python -m ikmrelief.launcher``) sets both URLs to embedded servers when they are unset.

DATABASE_URL = env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/ikmrelief")
DATABASES = {"default": parse_database_url("DATABASE_URL", DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No lock or transaction may outlive the process that took it:
# - client_connection_check_interval: a backend whose client died mid-query (a SIGKILLed Celery
#   child) notices within 2 s and aborts, releasing its advisory lock (PostgreSQL 14+);
# - idle_in_transaction_session_timeout: a live but hung client cannot sit on a transaction;
# - statement_timeout: web requests get DATABASE_STATEMENT_TIMEOUT (set in wsgi.py, matching
#   gunicorn's timeout); workers and management commands run without one.
# - jit off: every statement here either reads a few rows through an index or scans millions in
#   a nightly run; compiling them cost 10–260 ms per statement whose row estimates were large
#   (the public trail's LATERAL plans, issue 28) and gained nothing measurable (the rollup turned
#   it off for the same reason).
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 0, minimum=0)
DATABASE_IDLE_IN_TRANSACTION_TIMEOUT = env_int("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", 600, minimum=0)
DATABASES["default"]["OPTIONS"]["options"] = " ".join([
    "-c client_connection_check_interval=2000",
    f"-c idle_in_transaction_session_timeout={DATABASE_IDLE_IN_TRANSACTION_TIMEOUT * 1000}",
    f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT * 1000}",
    "-c jit=off",
])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Public pages, open data and the API read from a PostgreSQL streaming replica when one is given
# (core/replica.py); staff pages and every write stay on the primary, and a replica whose replay
# lags more than the bound (or that cannot be reached) is skipped, checked every few seconds.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
DATABASE_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG_SECONDS", 5, minimum=0)
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 2, minimum=0)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = parse_database_url("DATABASE_REPLICA_URL", DATABASE_REPLICA_URL)
    DATABASES["replica"].update(CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"], CONN_HEALTH_CHECKS=True,
                                TEST={"MIRROR": "default"})
    DATABASES["replica"]["OPTIONS"] = {**DATABASES["default"]["OPTIONS"], **DATABASES["replica"].get("OPTIONS", {}),
                                       "options": DATABASES["default"]["OPTIONS"]["options"]}
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]

REDIS_URL = check_redis_url("REDIS_URL", env_str("REDIS_URL", "redis://127.0.0.1:6379/0"))
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "ikmrelief")
CACHES = {
    "default": {
        # django-redis, with every call guarded: Redis down means slower pages, never a 500.
        "BACKEND": "core.resilient_cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        "TIMEOUT": env_int("CACHE_TIMEOUT", 3600, minimum=0),
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 1.0,
            # After an error, skip the cache this many seconds before trying again.
            "RETRY_SECONDS": env_int("CACHE_RETRY_SECONDS", 5, minimum=1),
        },
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Celery ---------------------------------------------------------------------------------

CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{CACHE_KEY_PREFIX}:celery:"}
CELERY_TIMEZONE = "Asia/Jakarta"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60, minimum=10)
# A message a worker took but never acknowledged (the worker died) is handed out again after
# visibility_timeout. It must exceed the longest task, or a running task would be started twice;
# the reapers below recover a dead run long before that.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "global_keyprefix": f"{CACHE_KEY_PREFIX}:celery:",
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 600,
}
# Publishing a task when Redis is down fails fast (the caller keeps the job "queued" and the
# reaper sends it again later) instead of hanging the request.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
# How often the reapers look for jobs whose worker died, and how long a job may go unseen first.
JOB_REAP_SECONDS = env_int("JOB_REAP_SECONDS", 60, minimum=1)
JOB_GRACE_SECONDS = env_int("JOB_GRACE_SECONDS", 30, minimum=1)
# A queued job whose message seems lost is sent again this often, this many times, then failed.
JOB_RESEND_SECONDS = env_int("JOB_RESEND_SECONDS", 300, minimum=1)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 12, minimum=1)
CELERY_RESULT_EXPIRES = 24 * 3600
# How often beat looks for changes to bring to the public figures (seconds; 0: only the nightly
# run and "refresh now"). A change shows within this plus the incremental run (~0.2 s at
# national scale) and the worker's pick-up.
LIVE_ROLLUP_SECONDS = env_int("LIVE_ROLLUP_SECONDS", 15, minimum=0)
# How often beat asks whether the records the red flags read have changed and, if so, runs the
# indicators again (reports.flags.compute_if_changed): a write's flags show within about this.
# 0: only the nightly run (FLAGS_CRONTAB).
FLAGS_LIVE_SECONDS = env_int("FLAGS_LIVE_SECONDS", 60, minimum=0)
# The public ledger (ledger/): its name in checkpoints (default: SITE_URL's host + /buku-besar),
# its Ed25519 signing key (PRIVATE+KEY+…; `manage.py ledger_key` makes one; unset, one derived
# from DJANGO_SECRET_KEY), and how often beat integrates new entries and signs a checkpoint.
LEDGER_ORIGIN = env_str("LEDGER_ORIGIN", "")
LEDGER_SIGNING_KEY = env_str("LEDGER_SIGNING_KEY", "")
LEDGER_SECONDS = env_int("LEDGER_SECONDS", 10, minimum=1)
# Witnesses asked to cosign each new checkpoint: "URL VKEY" pairs, comma-separated (the URL is the
# witness's submission prefix; ikmrelief-witness, from verifier/, is one).
LEDGER_WITNESSES = env_list("LEDGER_WITNESSES", [])
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / "var" / "celerybeat-schedule"))
# The whole beat schedule, one comment per entry. Times are Asia/Jakarta (CELERY_TIMEZONE).
CELERY_BEAT_SCHEDULE = {
    # The nightly budget rollup: totals per year × province × regency × agency × program ×
    # funding source that every chart and public page reads. 01:00 WIB, after the day's entry.
    "nightly-budget-rollup": {
        "task": "reports.tasks.run_rollup",
        # ROLLUP_CRONTAB, minute hour day month weekday (default "0 1 * * *"). Each firing is
        # one schedule slot: two beats by mistake still make one run per slot (RollupRun.slot).
        "schedule": env_crontab("ROLLUP_CRONTAB", "0 1 * * *"),
        "kwargs": {"trigger": "beat"},
    },
    # Live figures: every LIVE_ROLLUP_SECONDS, when the change log holds anything and no run is
    # on its way, one incremental run (reports.rollup.queue_if_changed). 0 turns it off.
    **({"rollup-live": {"task": "reports.tasks.rollup_if_changed", "schedule": LIVE_ROLLUP_SECONDS}}
       if LIVE_ROLLUP_SECONDS else {}),
    # The public ledger: pending entries into the log, tiles grown, a checkpoint signed
    # (ledger.log.integrate); an entry is in a signed checkpoint within LEDGER_SECONDS.
    "ledger-integrate": {"task": "ledger.tasks.integrate", "schedule": LEDGER_SECONDS},
    # The database against the log: every published record against its latest entry; what
    # contradicts the log is shown to the national admin and on the rollup page. 01:30 WIB.
    "ledger-audit": {"task": "reports.tasks.audit_ledger",
                     "schedule": env_crontab("LEDGER_AUDIT_CRONTAB", "30 1 * * *")},
    # Catch-up: when the last successful rollup is older than a day (the worker was down at
    # 01:00, or the run failed), run it at the next full hour instead of waiting a night.
    "rollup-catch-up": {
        "task": "reports.tasks.catch_up_rollup",
        "schedule": crontab(minute=30),
    },
    # Rollup runs whose worker died (no backend holds the rollup lock) go back to the queue;
    # queued runs whose message was lost (Redis restarted) are sent again, then failed.
    "rollup-reap": {
        "task": "reports.tasks.reap_rollups",
        "schedule": JOB_REAP_SECONDS,
    },
    # The same for import batches stuck in "validating" or "committing".
    "imports-reap": {
        "task": "recipients.tasks.reap_imports",
        "schedule": JOB_REAP_SECONDS,
    },
    # Export jobs: resend the ones whose worker died, delete files past EXPORT_KEEP_HOURS.
    "exports-reap": {
        "task": "recipients.tasks.reap_exports",
        "schedule": JOB_REAP_SECONDS,
    },
    # Retention (UU 27/2022): a dry run of what person data has outlived RETENTION_YEARS, then,
    # RETENTION_GRACE_DAYS later, its erasure; both recorded (recipients.retention). 02:30 WIB.
    "person-data-retention": {
        "task": "recipients.tasks.run_retention",
        "schedule": crontab(hour=2, minute=30),
    },
    # Monthly realization reports by e-mail (reports.subscriptions): each subscription on its own
    # day of the month, the previous month's PDF, once. REPORT_MAIL_CRONTAB, default 07:00 WIB.
    "monthly-reports": {
        "task": "reports.tasks.send_monthly_reports",
        "schedule": env_crontab("REPORT_MAIL_CRONTAB", "0 7 * * *"),
    },
    # Red flags (reports.flags): every indicator over the whole country, after the rollup and the
    # ledger audit; new patterns raise cases, vanished ones close theirs. FLAGS_CRONTAB, 01:45 WIB.
    "red-flags": {"task": "reports.tasks.compute_flags", "schedule": env_crontab("FLAGS_CRONTAB", "45 1 * * *")},
    # The same within about a minute of a write: every FLAGS_LIVE_SECONDS, when the tables the
    # indicators read have changed since the last computation (0 turns it off).
    **({"red-flags-live": {"task": "reports.tasks.compute_flags_if_changed", "schedule": FLAGS_LIVE_SECONDS}}
       if FLAGS_LIVE_SECONDS else {}),
    # Daily digest of unread notifications for users who chose it, before office hours.
    "notification-digest": {
        "task": "accounts.tasks.send_notification_digests",
        "schedule": crontab(hour=6, minute=30),
    },
}

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "ikmrelief_language"

# --- Static and uploaded files --------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Chart.js, its Sankey plugin and the table sorter from their npm packages (``npm ci``), never committed.
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/chartjs-sankey", BASE_DIR / "node_modules" / "chartjs-chart-sankey" / "dist"),
    # The choropleth maps (chartjs-chart-geo; the shapes themselves are static/maps, see its README).
    ("vendor/chartjs-geo", BASE_DIR / "node_modules" / "chartjs-chart-geo" / "build"),
    ("vendor/sortable", BASE_DIR / "node_modules" / "sortable-tablesort" / "dist"),
    # The offline field check: Workbox's service-worker modules and idb (IndexedDB), also from npm.
    *[("vendor/workbox", BASE_DIR / "node_modules" / f"workbox-{m}" / "build")
      for m in ("core", "routing", "strategies", "precaching")],
    ("vendor/idb", BASE_DIR / "node_modules" / "idb" / "build"),
    # The public ledger's in-browser check: Ed25519 signatures (@noble/ed25519, an ES module).
    ("vendor/noble-ed25519", BASE_DIR / "node_modules" / "@noble" / "ed25519"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
# Evidence files (PDF/JPEG/PNG) live outside the web root and are only served by a view
# that checks the user's scope.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private")))
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Staff exports: a CSV up to this many rows streams from the request (constant memory); a
# bigger one, and every XLSX, is built by a worker into a private file kept this many hours.
EXPORT_SYNC_MAX_ROWS = env_int("EXPORT_SYNC_MAX_ROWS", 5000, minimum=0)
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 20 * 1024 * 1024, minimum=1024)

# --- Security ---------------------------------------------------------------------------
# Behind TLS set DJANGO_SECURE_SSL_REDIRECT=1, DJANGO_SECURE_HSTS_SECONDS=31536000 and
# DJANGO_SECURE_COOKIES=1; behind a TLS-terminating proxy also DJANGO_SECURE_PROXY_SSL_HEADER=1.

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SECURE_REDIRECT_EXEMPT = [r"^ping/$"]  # the load balancer's health check speaks plain HTTP
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# BSSN 4/2021 for government applications: strong passwords, at least 12 characters, not a
# common one, not like the username or name.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Content-Security-Policy (django-csp): scripts and styles from this site only, no inline
# script or style anywhere. Chart.js, Swagger UI and Redoc are served from this site too; the
# API docs alone allow inline styles, which those two libraries inject (see reports/api.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],  # blob: the field check's photo previews
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# How many reverse proxies in front of the app add themselves to X-Forwarded-For (0 = none:
# the client address is REMOTE_ADDR, and a forged X-Forwarded-For is ignored). Used by the
# login lockout and the API throttle alike.
NUM_PROXIES = env_int("NUM_PROXIES", 0, minimum=0, maximum=5)

# Login throttle (django-axes, accounts/lockout.py): after LOGIN_FAILURE_LIMIT failures of one
# username from one address, or LOGIN_FAILURE_LIMIT_PER_ADDRESS from one address for any
# usernames, attempts are refused for LOGIN_LOCKOUT_MINUTES without hashing the password
# (BSSN 4/2021: limited login attempts). Coordinators and admins unlock on the user's page.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=3)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env_int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", 100, minimum=AXES_FAILURE_LIMIT)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "accounts.lockout.PairAndAddressHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_VERBOSE = False

# --- API ------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    # JSON only: one representation per URL, so the public cache needs no Accept in its key.
    # People read the API in Swagger UI and Redoc (/api/docs/, /api/redoc/).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Any body is parsed with a bound on its nesting (core.jsonsafe).
    "DEFAULT_PARSER_CLASSES": ["core.jsonsafe.BoundedJSONParser"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("API_ANON_RATE", "120/minute")},
    # The throttle keys on REMOTE_ADDR unless proxies are declared; never on a client's own header.
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IKM Relief API",
    "DESCRIPTION": "Data anggaran publik bantuan IKM terdampak Covid-19 (read-only).",
    "VERSION": "1.0.0",
    # Swagger UI and Redoc served from this site, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No deep links inside the operation buttons (a link nested in a button: WCAG 4.1.2).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "SERVE_INCLUDE_SCHEMA": False,
    # One name for the verification states wherever they appear (application state, step to_state).
    "ENUM_NAME_OVERRIDES": {"VerificationStateEnum": "recipients.models.State"},
}

# --- E-mail -------------------------------------------------------------------------------
# EMAIL_URL: console:// (default; printed by the worker) or smtp://user:password@host:587?tls=1.
# Mail is sent by the Celery worker after the transaction commits (accounts.tasks.send_email).

_EMAIL = email_settings("EMAIL_URL", env_str("EMAIL_URL", "console://"))
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST, EMAIL_PORT = _EMAIL["EMAIL_HOST"], _EMAIL["EMAIL_PORT"]
EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _EMAIL["EMAIL_HOST_USER"], _EMAIL["EMAIL_HOST_PASSWORD"]
EMAIL_USE_SSL, EMAIL_USE_TLS, EMAIL_TIMEOUT = _EMAIL["EMAIL_USE_SSL"], _EMAIL["EMAIL_USE_TLS"], _EMAIL["EMAIL_TIMEOUT"]
# The site's address as people reach it, for links in e-mail (no trailing slash).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "IKM Relief <noreply@ikmrelief.local>")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_HOURS", 24, minimum=1) * 3600
# Reset mails per hour: for one account, and from one address (any accounts). Past either, the
# page answers the same and nothing is sent (no mailbox is flooded, no account enumerated).
PASSWORD_RESETS_PER_USER_HOUR = env_int("PASSWORD_RESETS_PER_USER_HOUR", 3, minimum=1)
PASSWORD_RESETS_PER_ADDRESS_HOUR = env_int("PASSWORD_RESETS_PER_ADDRESS_HOUR", 20, minimum=1)

# How long person data (names, NIK, phone, photos) is kept after the fiscal year of a group's
# last program ended, in years; the erasure follows its dry run after RETENTION_GRACE_DAYS.
RETENTION_YEARS = env_int("RETENTION_YEARS", 5, minimum=0)
RETENTION_GRACE_DAYS = env_int("RETENTION_GRACE_DAYS", 7, minimum=0)

# Two-factor sign-in (django-otp: an authenticator app, TOTP, with recovery codes) for every
# staff role: each can see a full NIK, move money or manage accounts. DEMO_SKIP_TWO_FACTOR lets
# the demo logins (accounts.personas) in with their password alone; `make run` sets it and
# `manage.py check --deploy` refuses it. TWO_FACTOR_REQUIRED=0 turns the requirement off entirely
# (the test suite does, except where it tests two-factor sign-in itself); check --deploy refuses that too.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", True)
DEMO_SKIP_TWO_FACTOR = env_bool("DEMO_SKIP_TWO_FACTOR", False)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "IKM Relief")
# Wrong codes in one sign-in before the session is ended and the password is asked again.
TWO_FACTOR_MAX_WRONG_CODES = 3

# --- Logging --------------------------------------------------------------------------------

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # fontTools (WeasyPrint's font subsetting) logs a dozen INFO lines per PDF: warnings only.
    "loggers": {"django.db.backends": {"level": "INFO"}, "fontTools": {"level": "WARNING"}},
}

# --- Product --------------------------------------------------------------------------------

# Red-flag thresholds (reports.flags), shown beside every flag and on /definisi/.
FLAG_FAST_APPROVAL_HOURS = env_int("FLAG_FAST_APPROVAL_HOURS", 24, minimum=1)  # proposal → approval
FLAG_DECEMBER_SHARE_PERCENT = env_int("FLAG_DECEMBER_SHARE_PERCENT", 50, minimum=1, maximum=100)
FLAG_CONCENTRATION_MIN_GROUPS = env_int("FLAG_CONCENTRATION_MIN_GROUPS", 5, minimum=2)
FLAG_NO_HANDOVER_DAYS = env_int("FLAG_NO_HANDOVER_DAYS", 60, minimum=1)

PAGINATE_BY = env_int("PAGINATE_BY", 25, minimum=5, maximum=500)
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 600, minimum=0)
# What one anonymous request may cost: each statement of a public page or API call at most this
# long, then a clear refusal (503, "narrow the filters") instead of an error (core/budget.py).
# 0 turns the bound off (the site-wide DATABASE_STATEMENT_TIMEOUT still applies).
PUBLIC_STATEMENT_TIMEOUT_MS = env_int("PUBLIC_STATEMENT_TIMEOUT_MS", 3000, minimum=0)
