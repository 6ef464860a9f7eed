"""PX360 settings: one module, driven by environment variables.

With no environment at all PX360 runs on one machine: SQLite, the django-q2 ORM
broker, console e-mail and local files. ``PX360_ENV=production`` switches on
every guard a hospital deployment needs and refuses to start without them.
"""

import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from px360 import __version__
from px360.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PX360_VAR_DIR") or BASE_DIR / "var")

PX360_ENV = env_choice("PX360_ENV", "development", ("development", "test", "staging", "production"))
PRODUCTION = PX360_ENV == "production"
PX360_VERSION = __version__

DEBUG = env_bool("DEBUG", PX360_ENV == "development")


def _development_secret_key() -> str:
    """A key shared by every local process (web server and qcluster).

    django-q2 signs queued tasks with SECRET_KEY, so a random key per process
    would make the cluster reject every task. Outside production the key is
    created once and kept in ``var/secret_key``.
    """
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    try:
        # O_EXCL: when two processes start together only one key is written.
        with path.open("x") as handle:
            handle.write(key)
    except FileExistsError:
        return path.read_text().strip()
    path.chmod(0o600)
    return key


SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when PX360_ENV=production")
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Applications ---------------------------------------------------------
# Unfold and modeltranslation must come before django.contrib.admin: after it,
# every model page 404s (Unfold) or start-up fails (modeltranslation).
INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.inlines",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "unfold.contrib.guardian",
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "guardian",
    "simple_history",
    "import_export",
    "django_q",
    "axes",
    "px360.core",
    "px360.accounts",
    "px360.organizations",
    "px360.journeys",
    "px360.integrations",
    "px360.surveys",
    "px360.notifications",
    "px360.sla",
    "px360.complaints",
    "px360.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "px360.accounts.middleware.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks, so it sees the final response of a login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "px360.urls"
WSGI_APPLICATION = "px360.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "px360" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
SQLITE_OPTIONS = {
    # Several writers (web server, qcluster) share one file: wait instead of
    # failing with "database is locked", take the write lock up front, and let
    # readers go on while a writer works (WAL).
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False

USING_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
USING_POSTGRES = DATABASES["default"]["ENGINE"] in (
    "django.db.backends.postgresql",
    "django.contrib.gis.db.backends.postgis",
)
if PRODUCTION and USING_SQLITE:
    raise ImproperlyConfigured("PX360_ENV=production refuses SQLite: set DATABASE_URL to PostgreSQL")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("PX360_ENV=production refuses DEBUG=true")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when PX360_ENV=production")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users, sign-in and sessions -------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
if PX360_ENV == "test":
    # Hashing with 1,000,000 PBKDF2 rounds per test user would dominate the suite.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "admin:login"
# The sign-in form posts without ``next``: land on the admin's index (in the
# active language), not on Django's default /accounts/profile/, which does not exist.
LOGIN_REDIRECT_URL = "admin:index"

# A ward PC is shared: sessions end after a short idle time and a hard cap.
PX360_SESSION_IDLE_SECONDS = env_int("PX360_SESSION_IDLE_MINUTES", 15, minimum=1) * 60
PX360_SESSION_MAX_SECONDS = env_int("PX360_SESSION_MAX_HOURS", 10, minimum=1) * 3600
SESSION_COOKIE_AGE = PX360_SESSION_MAX_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: lock a username from one address after a few failures (not a
# whole ward behind NAT), and the username from every address after more (an
# attacker rotating addresses). The handler gives each parameter its own limit.
AXES_FAILURE_LIMIT = env_int("PX360_LOGIN_FAILURE_LIMIT", 5, minimum=1)
PX360_LOGIN_USERNAME_FAILURE_LIMIT = env_int("PX360_LOGIN_USERNAME_FAILURE_LIMIT", 20, minimum=1)
AXES_COOLOFF_TIME = env_int("PX360_LOGIN_LOCKOUT_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "px360.accounts.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "px360.accounts.views.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_IPWARE_PROXY_COUNT = env_int("PX360_PROXY_COUNT", 0, minimum=0)
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- guardian ---------------------------------------------------------------
ANONYMOUS_USER_NAME = None  # no anonymous user row: patients never sign in
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
# History is a record: nobody reverts a row to an older version through the
# admin (a revert writes back fields the role may not change).
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Riyadh"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "px360_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

MODELTRANSLATION_DEFAULT_LANGUAGE = "ar"
MODELTRANSLATION_LANGUAGES = ("ar", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("ar", "en"), "ar": ("en",), "en": ("ar",)}
# modeltranslation's tabs load jQuery UI from a public CDN by default: offline
# hospital networks would silently lose the tabs.
JQUERY_UI_URL = "px360/vendor/jquery-ui/jquery-ui.min.js"

# --- Static and uploaded files ---------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PX360_ENV in ("production", "staging")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production the app serves static files straight from the apps'
# folders, so no collectstatic is needed to run or test.
WHITENOISE_USE_FINDERS = PX360_ENV in ("development", "test")
WHITENOISE_AUTOREFRESH = PX360_ENV == "development"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- E-mail -----------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "px360@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Cache ------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "px360"}}

# --- Jobs (django-q2) -------------------------------------------------------
# django-q2's defaults replay work (no timeout, retry after 60 s, unlimited
# attempts, catch-up after downtime); every value here is deliberate.
PX360_QUEUE_BROKER = env_choice("PX360_QUEUE_BROKER", "orm", ("orm", "redis"))
Q_CLUSTER = {
    "name": "px360",
    "workers": env_int("PX360_QUEUE_WORKERS", 2, minimum=1),
    "timeout": env_int("PX360_QUEUE_TIMEOUT", 600, minimum=10),
    "retry": env_int("PX360_QUEUE_TIMEOUT", 600, minimum=10) + 120,
    "max_attempts": env_int("PX360_QUEUE_MAX_ATTEMPTS", 3, minimum=1),
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 1000,
    "queue_limit": 50,
    "label": _("Jobs"),
    # How a stop goes (SIGTERM or SIGINT to the main process; the sentinel and
    # the workers must not be signalled, they die at once): the sentinel sees
    # it within guard_cycle, the pusher after its current dequeue (on an empty
    # ORM queue that is a sleep of `poll` seconds, so a long poll holds every
    # stop back), and each worker after its running job. django-q2 does not
    # enforce the timeout while stopping: scripts/run-dev and docker-compose.yml
    # kill what is still running after timeout plus a few seconds.
    "poll": 1,
    "guard_cycle": 0.5,
}
if PX360_QUEUE_BROKER == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("PX360_QUEUE_BROKER=redis needs REDIS_URL")
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# The heartbeat job runs every minute; the queue counts as down after this.
PX360_QUEUE_HEARTBEAT_MAX_AGE = env_int("PX360_QUEUE_HEARTBEAT_MAX_AGE", 300, minimum=60)

# --- HIS intake ---------------------------------------------------------------
PX360_INTAKE_MAX_BYTES = env_int("PX360_INTAKE_MAX_BYTES", 1024 * 1024, minimum=1024)

# --- Surveys and notifications -------------------------------------------------
# Links in messages are built on this address (no trailing slash); it must be a
# host the SMS/WhatsApp providers have whitelisted (no generic shorteners).
# Unset, it is this machine on the port `make run` serves (PORT).
PX360_PUBLIC_BASE_URL = (
    env_str("PX360_PUBLIC_BASE_URL") or f"http://localhost:{env_int('PORT', 8000, minimum=1)}"
).rstrip("/")
PX360_SURVEY_RATE_LIMIT_PER_MINUTE = env_int("PX360_SURVEY_RATE_LIMIT_PER_MINUTE", 30, minimum=1)
# The public complaint pages (/complaints/): form posts per client address per
# hour; status look-ups per client address and, whoever asks, per reference per
# hour (four digits must not be guessed from many addresses); and the largest
# attachment accepted (each file; a complaint takes up to three, so the web
# server must accept a body of three times this plus the form).
PX360_COMPLAINT_RATE_LIMIT_PER_HOUR = env_int("PX360_COMPLAINT_RATE_LIMIT_PER_HOUR", 20, minimum=1)
PX360_COMPLAINT_STATUS_RATE_LIMIT_PER_HOUR = env_int("PX360_COMPLAINT_STATUS_RATE_LIMIT_PER_HOUR", 20, minimum=1)
PX360_COMPLAINT_ATTACHMENT_MAX_BYTES = env_int("PX360_COMPLAINT_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# A complaint's resolution survey scored below this mean (0–100) reopens the complaint and escalates it.
PX360_COMPLAINT_LOW_SCORE = env_int("PX360_COMPLAINT_LOW_SCORE", 60, minimum=0)
if PX360_COMPLAINT_LOW_SCORE > 100:
    raise ImproperlyConfigured("PX360_COMPLAINT_LOW_SCORE is a mean score between 0 and 100")
# Channel backends: "console" writes each message to PX360_OUTBOX_DIR and the
# log (nothing leaves the machine); "gateway" posts SMS/WhatsApp to the HTTP
# gateway below; "email" hands e-mail to Django's EMAIL_BACKEND (console by
# default too, so no outbound call happens unless configured).
PX360_SMS_BACKEND = env_choice("PX360_SMS_BACKEND", "console", ("console", "gateway"))
PX360_WHATSAPP_BACKEND = env_choice("PX360_WHATSAPP_BACKEND", "console", ("console", "gateway"))
PX360_EMAIL_CHANNEL_BACKEND = env_choice("PX360_EMAIL_CHANNEL_BACKEND", "email", ("console", "email"))
PX360_OUTBOX_DIR = Path(env_str("PX360_OUTBOX_DIR") or VAR_DIR / "outbox")
PX360_GATEWAY_URL = env_str("PX360_GATEWAY_URL") or ""
# The whole header line, e.g. "Authorization: Bearer abc" (kept out of logs).
PX360_GATEWAY_AUTH_HEADER = env_str("PX360_GATEWAY_AUTH_HEADER") or ""
PX360_GATEWAY_SENDER_ID = env_str("PX360_GATEWAY_SENDER_ID") or "PX360"
# JSON with $to, $sender, $body, $channel and $reference placeholders.
PX360_GATEWAY_PAYLOAD_TEMPLATE = (
    env_str("PX360_GATEWAY_PAYLOAD_TEMPLATE")
    or '{"to": "$to", "from": "$sender", "channel": "$channel", "text": "$body", "reference": "$reference"}'
)
PX360_GATEWAY_TIMEOUT_SECONDS = env_int("PX360_GATEWAY_TIMEOUT_SECONDS", 10, minimum=1)
# Shared secret the gateway sends (header X-PX360-Secret) with replies and
# delivery reports; without it the inbound hook answers 404.
PX360_INBOUND_SECRET = env_str("PX360_INBOUND_SECRET") or ""
PX360_NOTIFY_BATCH_SIZE = env_int("PX360_NOTIFY_BATCH_SIZE", 100, minimum=1)
PX360_NOTIFY_MAX_ATTEMPTS = env_int("PX360_NOTIFY_MAX_ATTEMPTS", 3, minimum=1)
PX360_NOTIFY_RETRY_BASE_SECONDS = env_int("PX360_NOTIFY_RETRY_BASE_SECONDS", 300, minimum=1)
if PRODUCTION and "gateway" in (PX360_SMS_BACKEND, PX360_WHATSAPP_BACKEND) and not PX360_GATEWAY_URL:
    raise ImproperlyConfigured("PX360_GATEWAY_URL must be set when an SMS or WhatsApp backend is 'gateway'")

# --- import-export ------------------------------------------------------------
# Without these, any staff user can import and export every row of a model.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
# Formula payloads are neutralised by PXResource (a leading apostrophe), which
# covers = + - @ tab and CR; the library only strips a leading "=".
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False

# Encounter files larger than this are checked and saved by the job cluster, with a progress bar.
PX360_IMPORT_BACKGROUND_BYTES = env_int("PX360_IMPORT_BACKGROUND_BYTES", 2 * 1024 * 1024, minimum=0)
# List exports: up to this many rows download at once; more are written by the job cluster,
# and their files are kept this many hours.
PX360_EXPORT_IMMEDIATE_ROWS = env_int("PX360_EXPORT_IMMEDIATE_ROWS", 2000, minimum=0)
PX360_EXPORT_KEEP_HOURS = env_int("PX360_EXPORT_KEEP_HOURS", 24, minimum=1)
# Workbooks larger than this are read by a second process while the rows are checked (0: never).
PX360_IMPORT_READ_AHEAD_BYTES = env_int("PX360_IMPORT_READ_AHEAD_BYTES", 1_000_000, minimum=0)

# --- Logging ----------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper()
# Every line goes through one handler whose filter takes survey link tokens and
# admin query strings out (px360.core.logging; gunicorn's access log: see
# gunicorn.conf.py). Django's own loggers are re-pointed at it: by default
# "django" and "django.server" (runserver's access log) write through handlers
# of their own that would bypass the filter, and "mail_admins" would e-mail the
# full request. A handler added here must carry the "redact" filter too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "px360.core.logging.RedactFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # SQL parameters are patient data: never log statements, whatever LOG_LEVEL says.
        "django.db.backends": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Without a logger of its own django-q2's messages vanish.
        "django-q": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- Security ---------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PX360_ENV in ("production", "staging"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

# Content-Security-Policy (django-csp). Everything the admin and the survey page
# load is served by PX360 itself (Unfold's Alpine.js, HTMX and Chart.js, the
# vendored jQuery UI, the fonts): no outside host is allowed anywhere, and every
# fetch directive not listed (images, fonts, fetch/XHR, frames) falls back to
# default-src 'self'. What is looser than that, and why:
# - script-src 'unsafe-eval': Unfold's templates are driven by Alpine.js's
#   standard build, which compiles every x-data/x-bind/x-on expression with
#   new Function(); Alpine's CSP build cannot parse Unfold's expressions. HTMX's
#   hx-on attributes need it too. Inline <script> blocks are refused: the
#   project's own carry the request's nonce (request.csp_nonce). Unfold's
#   horizontal list filters (list_filter_options "horizontal") would need an
#   inline oninput handler allowed: none is configured.
# - style-src 'unsafe-inline': Unfold writes its colour theme and changelist
#   tweaks as <style> elements and style="" attributes, and Alpine's :style
#   bindings and HTMX's indicator styles add more at run time. No nonce here:
#   with a nonce browsers ignore 'unsafe-inline' and Unfold's styles would drop.
# - frame-ancestors 'self', not 'none': Unfold opens related-object forms (the
#   menu next to a foreign key) in an iframe of the same admin. Browsers that
#   know frame-ancestors ignore X-Frame-Options, which stays DENY for the rest.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, UNSAFE_EVAL],
        "style-src": [SELF, UNSAFE_INLINE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

# --- Admin shell (Unfold) ---------------------------------------------------
PX360_ENVIRONMENT_LABEL = env_str("PX360_ENVIRONMENT_LABEL") or ""

UNFOLD = {
    "SITE_TITLE": _("PX360"),
    "SITE_HEADER": _("PX360"),
    "SITE_SUBHEADER": _("Patient experience"),
    "SITE_SYMBOL": "monitor_heart",
    "SITE_URL": "/admin/",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_LANGUAGES": True,
    "SHOW_BACK_BUTTON": True,
    "ENVIRONMENT": "px360.core.unfold.environment_callback",
    "DASHBOARD_CALLBACK": "px360.core.dashboard.dashboard_callback",
    # The user menu: my profile, my notifications, change my password.
    "ACCOUNT": {"navigation": "px360.accounts.views.account_links"},
    "STYLES": [lambda request: static("px360/css/admin.css")],
    "COLORS": {
        "primary": {
            "50": "oklch(97.8% .013 185)",
            "100": "oklch(95.3% .05 182)",
            "200": "oklch(91% .09 180)",
            "300": "oklch(85.5% .125 181)",
            "400": "oklch(77.7% .145 182)",
            "500": "oklch(70.4% .14 182.5)",
            "600": "oklch(60% .118 184.7)",
            "700": "oklch(51.1% .096 186.4)",
            "800": "oklch(43.7% .078 188.2)",
            "900": "oklch(38.6% .063 188.4)",
            "950": "oklch(27.7% .046 192.5)",
        },
    },
    "COMMAND": {
        # Record search runs through each model admin's scoped queryset; it is
        # switched on per model in px360.core.unfold.searchable_models.
        "search_models": "px360.core.unfold.searchable_models",
        "show_history": False,  # shared ward PCs: no search history
    },
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "px360.core.unfold.sidebar_navigation",
    },
}
