"""Settings for Flexion, read from the environment.

Every value has a safe development default so that one can check out the code,
run ``make run`` and have a working app on SQLite with an embedded broker.
Production sets DEBUG=False and the variables listed in the README.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.getenv("FLEXION_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.getenv(name, default)


TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off"}


def envbool(name: str, default: bool) -> bool:
    """Read a yes/no variable; anything but the known spellings stops the start.

    A typo ("ture") must never silently mean "off" (staff two-factor, say).
    """
    value = os.getenv(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in TRUE_VALUES:
        return True
    if word in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use one of "
        f"{', '.join(sorted(TRUE_VALUES))} or {', '.join(sorted(FALSE_VALUES))}."
    )


def envint(name: str, default: int) -> int:
    """Read a whole-number variable; anything else stops the start, naming the variable."""
    value = os.getenv(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


RATE_PERIODS = {"s": 1, "min": 60, "hour": 60 * 60, "day": 24 * 60 * 60}


def envrate(name: str, default: str) -> tuple[int, int]:
    """Read a rate such as ``30/15min`` (count per period) as (count, seconds); refuse others."""
    value = env(name, default).strip()
    count, _slash, period = value.partition("/")
    digits = period.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = period[len(digits) :]
    if not count.isdigit() or int(count) < 1 or unit not in RATE_PERIODS:
        raise ImproperlyConfigured(f"{name}={value!r}: write a rate as 30/15min (s/min/hour/day).")
    if digits and (not digits.isdigit() or int(digits) < 1):
        raise ImproperlyConfigured(f"{name}={value!r}: the period must be a positive number.")
    return int(count), int(digits or 1) * RATE_PERIODS[unit]


DEBUG = envbool("DEBUG", True)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-flexion-development-key-never-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Before the admin, as its documentation asks: per-language content fields.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "adminsortable2",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "clinic",
    "programs",
    "patients",
    "reports",
]
# The benchmark's commands (bench/: generate_load_data, bench_dispatch) are a development-only
# app, installed for `make bench` and for their tests; never in production.
if envbool("FLEXION_BENCH_APPS", False):
    INSTALLED_APPS.append("bench")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every response after this line is a page, not a static file: never stored, under the CSP.
    "clinic.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the login is known: a patient's or staff member's own language over the browser's.
    "clinic.middleware.PersonLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clinic.throttles.AnonymousWriteThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "clinic.middleware.SessionTimeoutMiddleware",
    "clinic.middleware.StaffMFAMiddleware",
    "clinic.middleware.AuditFailedAuthorisationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as its documentation asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "flexion.urls"
WSGI_APPLICATION = "flexion.wsgi.application"

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

# The embedded default is a SQLite file so that `make run` needs no server;
# `make test` and production point DATABASE_URL at PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'flexion.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # PostgreSQL's JIT spends seconds compiling the report's costly-looking plans that then
    # run in milliseconds; queries of a web app never gain from it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Parameters bound by the server, and a query run a few times on a connection prepared:
    # PostgreSQL then parses and plans it once per connection, not on every request (the
    # patient pages' few small queries spent more time being planned than being run).
    # Behind a transaction-pooling PgBouncer, which cannot keep prepared statements, set
    # DB_PREPARED_STATEMENTS=false.
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    if envbool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")

CACHES = {
    # Shared by every web worker when REDIS_URL is set: the rate limits (clinic.throttles,
    # the API's throttles) must count one budget, not one per gunicorn process. Local
    # memory for `make run`, which has a single process.
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "flexion",
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": "flexion"}
    ),
    # Evaluated progression per assignment and day (patients.progress.assignment_progress).
    # Keyed by every input of the rule, so an entry is never stale and each process may
    # keep its own; a bounded LRU that costs no network round trip.
    "progress": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "flexion-progress",
        "TIMEOUT": 60 * 60 * 24,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    # Template fragments that depend only on the language (the player's timer words): per
    # process, so a warm player makes no round trip to the shared cache for them.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "flexion-fragments",
    },
    # The prescribed exercises per assignment as the session player shows them
    # (patients.player.session_items), keyed by the assignment's items version: likewise
    # never stale, per process.
    "prescriptions": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "flexion-prescriptions",
        "TIMEOUT": 60 * 60 * 24,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    # What the today page shows besides the progress, each keyed by a version its one writer
    # renews: the questionnaires due (patients.outcomes.due_questionnaires) and the
    # thread's latest messages (patients.messages.thread_summary). Never stale, per process;
    # kept an hour at most, so that an erased patient's messages do not outlive them for long
    # in a process that no longer reaches them.
    "derived": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "flexion-derived",
        "TIMEOUT": 60 * 60,
        "OPTIONS": {"MAX_ENTRIES": 10000},
    },
}

AUTH_USER_MODEL = "clinic.User"
# A patient's address may have a login at several clinics (clinic.models.User), so the
# login field is unique for staff only; clinic.auth.RoleBackend tries each login.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
# Axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "clinic.auth.RoleBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Older hashes still verify and are upgraded to Argon2 at the next login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Long passphrases are welcome: Django sets no maximum length.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "patients:login"
LOGIN_REDIRECT_URL = "patients:home"
LOGOUT_REDIRECT_URL = "patients:login"
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", 60 * 60 * 24)

# Flexion's languages: the catalogs in locale/ (compiled by `make install`), the content
# fields of programs/translation.py, the glossary in docs/glossary.md. Each name is written
# in its own language, as a language menu shows it.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Content a clinic has not translated shows in English, else in whichever language it has
# (django-modeltranslation; programs/translation.py).
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en", "de", "es")
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
if DEBUG:
    # WhiteNoise warns about a missing root; in development files come from the finders.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded files (exercise pictures): through Django's storage API, on the filesystem by
# default. Any S3-compatible store via django-storages: see the README ("Uploaded files").
# They are never served from MEDIA_URL: patients/pictures.py serves them to those allowed.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
FILE_STORAGE_BACKEND = env("FLEXION_FILE_STORAGE", "django.core.files.storage.FileSystemStorage")
FILE_STORAGE_OPTIONS = {}
if FILE_STORAGE_BACKEND == "storages.backends.s3.S3Storage":
    FILE_STORAGE_OPTIONS = {
        "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
        "region_name": env("AWS_S3_REGION_NAME") or None,
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
STORAGES = {
    "default": {"BACKEND": FILE_STORAGE_BACKEND, "OPTIONS": FILE_STORAGE_OPTIONS},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email: printed to the console in development, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Flexion <noreply@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Celery. REDIS_URL (or CELERY_BROKER_URL) selects Redis; without either the
# broker is kombu's filesystem transport, which needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# A task is acknowledged only when it has finished, and given back to the broker when
# its worker process dies, so a crash mid-send never loses a reminder. Each worker
# process takes one task at a time, so a crash hands back at most that one.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Reminders. One dispatch pass every REMINDER_DISPATCH_EVERY seconds (UTC): a reminder
# goes out at most that long after its local time.
REMINDER_DISPATCH_EVERY = envint("REMINDER_DISPATCH_EVERY", 5 * 60)
# Retries of a failed SMTP send: exponential backoff from REMINDER_RETRY_BACKOFF seconds,
# never longer than REMINDER_RETRY_BACKOFF_MAX, with jitter; failed after REMINDER_MAX_ATTEMPTS.
REMINDER_MAX_ATTEMPTS = envint("REMINDER_MAX_ATTEMPTS", 6)
REMINDER_RETRY_BACKOFF = envint("REMINDER_RETRY_BACKOFF", 30)
REMINDER_RETRY_BACKOFF_MAX = envint("REMINDER_RETRY_BACKOFF_MAX", 10 * 60)
# A reminder still claimed or sending after this many seconds lost its worker (or its task
# was never enqueued): the next dispatch pass enqueues it again. Longer than the longest
# retry delay plus an SMTP timeout, so a scheduled retry is never doubled.
REMINDER_STALE_AFTER = envint("REMINDER_STALE_AFTER", 15 * 60)
if REMINDER_STALE_AFTER <= REMINDER_RETRY_BACKOFF_MAX + EMAIL_TIMEOUT:
    raise ImproperlyConfigured("REMINDER_STALE_AFTER must exceed the longest retry delay.")
CELERY_BEAT_SCHEDULE = {
    "dispatch-reminders": {
        "task": "patients.tasks.reminders_dispatch",
        "schedule": float(REMINDER_DISPATCH_EVERY),
        # A pass that waited longer than the interval is superseded by the next one.
        "options": {"expires": float(REMINDER_DISPATCH_EVERY)},
    },
    # Program weeks end at each patient's local midnight: shortly after it, store the new
    # week and the week-end promotion of each assignment a new day began for.
    "reevaluate-assignments": {
        "task": "patients.tasks.assignments_reevaluate_due",
        "schedule": 15.0 * 60,
        "options": {"expires": 15.0 * 60},
    },
}
# Redis gives an unacknowledged task to another worker after the visibility timeout;
# it must outlast the longest retry countdown, or a retry waiting in a worker would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 60 * 60),
}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= REMINDER_RETRY_BACKOFF_MAX:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must exceed REMINDER_RETRY_BACKOFF_MAX.")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker of `make run`: messages are files under var/broker.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # The broadcast exchanges (the worker's remote control), else ./control.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front of the app append to X-Forwarded-For; 0 trusts
# only REMOTE_ADDR. Used for the lockout per address and the audit trail.
FLEXION_TRUSTED_PROXY_COUNT = envint("FLEXION_TRUSTED_PROXY_COUNT", 0)

# Login protection (django-axes): after AXES_FAILURE_LIMIT failures for one email
# from one address, that pair is refused until the cool-off has passed. Locking by
# the pair means an attacker elsewhere cannot lock a real user out.
# AXES_ENABLED=false only for the load benchmark (bench/run.py), never in production.
AXES_ENABLED = envbool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "clinic.security.client_ip"
AXES_USERNAME_CALLABLE = "clinic.security.login_username"
AXES_VERBOSE = False

# Rate limits (clinic/throttles.py), counted in the shared default cache. Per client address:
# writes by visitors who are not signed in (sign-in, sign-in links, password reset, links from
# emails), per endpoint; and audit events without an actor (refused or failed sign-ins), so
# a flood of them cannot fill the append-only trail. Per email address: account emails
# (sign-in links, password resets, invitations), whoever asks for them.
FLEXION_RATES = {
    "anonymous_write": envrate("FLEXION_RATE_ANONYMOUS_WRITE", "30/15min"),
    "anonymous_audit": envrate("FLEXION_RATE_ANONYMOUS_AUDIT", "20/15min"),
    "account_email": envrate("FLEXION_RATE_ACCOUNT_EMAIL", "5/hour"),
}

# Two-factor login for staff (django-otp): TOTP apps plus single-use recovery codes.
FLEXION_REQUIRE_STAFF_MFA = envbool("FLEXION_REQUIRE_STAFF_MFA", True)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Flexion")

# Sessions end after a period without requests and after an absolute lifetime,
# both shorter for staff, who see every patient of their clinic.
FLEXION_STAFF_IDLE_MINUTES = envint("FLEXION_STAFF_IDLE_MINUTES", 15)
FLEXION_STAFF_SESSION_HOURS = envint("FLEXION_STAFF_SESSION_HOURS", 12)
FLEXION_PATIENT_IDLE_MINUTES = envint("FLEXION_PATIENT_IDLE_MINUTES", 12 * 60)
FLEXION_PATIENT_SESSION_HOURS = envint("FLEXION_PATIENT_SESSION_HOURS", 30 * 24)
SESSION_COOKIE_AGE = 60 * 60 * max(FLEXION_STAFF_SESSION_HOURS, FLEXION_PATIENT_SESSION_HOURS)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Content-Security-Policy (django-csp): no inline script or style anywhere, and only
# the privacy-enhanced video players may be framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https://i.ytimg.com"],
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# The API (clinic/api): tokens first so that a request without credentials
# answers 401 with a WWW-Authenticate header; the browser uses its session.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.RolePermission"],
    # DRF's own parsers, held to DATA_UPLOAD_MAX_MEMORY_SIZE and a JSON nesting depth.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "api.parsers.FormParser",
        "api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": envint("API_PAGE_SIZE", 25),
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonThrottle",
        "api.throttling.UserOrTokenThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", "30/min"),
        "user": env("API_THROTTLE_USER", "300/min"),
        "token": env("API_THROTTLE_TOKEN", "600/min"),
    },
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Whether anyone may read the API's schema and docs; by default only signed-in staff.
FLEXION_API_DOCS_PUBLIC = envbool("FLEXION_API_DOCS_PUBLIC", False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Flexion API",
    "DESCRIPTION": (
        "Exercise library, programs, patients, assignments, sessions, check-ins, "
        "reminders and adherence of one clinic. Authenticate with a clinic's API token "
        "(`Authorization: Bearer flx_…`) or a logged-in browser session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs need a staff sign-in (session or API token) unless
    # FLEXION_API_DOCS_PUBLIC opens them.
    "SERVE_PERMISSIONS": ["api.permissions.ApiDocsPermission"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AssignmentStatusEnum": "patients.models.AssignmentStatus",
        "SessionStatusEnum": "patients.models.SessionStatus",
        "ReminderStatusEnum": "patients.models.ReminderStatus",
    },
    # Served from our own static files: the docs work without any outside network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Exercise imports (programs/importexport.py): a file is refused before it is parsed when
# it is larger than this many bytes or holds more exercises than this.
FLEXION_IMPORT_MAX_BYTES = envint("FLEXION_IMPORT_MAX_BYTES", 2 * 1024 * 1024)
FLEXION_IMPORT_MAX_ROWS = envint("FLEXION_IMPORT_MAX_ROWS", 2000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
