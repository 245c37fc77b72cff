"""PatentBridge settings. Everything that differs between machines comes from the environment.

See README.md ("Configuration") for the variables. A bad value stops start-up with an
``ImproperlyConfigured`` error that names the variable.
"""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from marketplace.env import Env

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

DEBUG = env.bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise env.error("SECRET_KEY", "is required when DEBUG is off (set DEBUG=true for local development).")
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"
elif not DEBUG and len(SECRET_KEY) < 32:
    raise env.error("SECRET_KEY", "must be at least 32 characters long when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise env.error("ALLOWED_HOSTS", "is required when DEBUG is off (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env.url("SITE_URL", ("http", "https"), default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "PatentBridge"

VAR_DIR = env.path("VAR_DIR", BASE_DIR / "var")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "axes",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "marketplace",
    "listings",
    "matching",
    "negotiations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "marketplace.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Axes must be last: it turns locked-out logins into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
ASGI_APPLICATION = "marketplace.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.navigation",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------
DATABASES = {"default": env.database("DATABASE_URL", VAR_DIR / "patentbridge.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, task broker ------------------------------------------
REDIS_URL = env.url("REDIS_URL", ("redis", "rediss", "unix"))
# Which Redis channel layer carries live events (bench/deals_ws.py measures both): "pubsub" (Redis
# publish/subscribe: delivered sooner after the commit in every run; at most once, which the deal room's
# catch-up by sequence number makes good) or "core" (Redis lists, the Channels default). Only read when
# REDIS_URL is set.
CHANNEL_LAYER = env.choice("CHANNEL_LAYER", "pubsub", ("core", "pubsub"))
if REDIS_URL:
    _LAYER_BACKENDS = {"core": "channels_redis.core.RedisChannelLayer",
                       "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer"}
    # redis-py reads with a 5 s socket timeout by default, which the core layer's 5 s blocking pop on an idle
    # channel runs into (every idle socket's consumer died after 5 s): reads may wait a little longer.
    CHANNEL_LAYERS = {"default": {"BACKEND": _LAYER_BACKENDS[CHANNEL_LAYER],
                                  "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]}}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work: one place decides how tasks run (marketplace.tasks.enqueue).
#   celery  - sent to Celery workers through Redis (default when REDIS_URL is set)
#   thread  - run in a background thread of the web process (embedded default)
#   eager   - run at once in the caller (tests, scripts)
TASKS_MODE = env.choice("TASKS_MODE", "celery" if REDIS_URL else "thread", ("celery", "thread", "eager"))
if TASKS_MODE == "celery" and not REDIS_URL:
    raise env.error("TASKS_MODE", "'celery' needs REDIS_URL to be set (Redis is the broker).")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Search, payments ------------------------------------------------------------------
SEARCH_INDEX_DIR = env.path("SEARCH_INDEX_DIR", VAR_DIR / "search-index")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY")
if STRIPE_SECRET_KEY and not STRIPE_SECRET_KEY.startswith(("sk_", "rk_")):
    raise env.error("STRIPE_SECRET_KEY", "expected a Stripe secret key starting with sk_ or rk_.")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET")
if STRIPE_WEBHOOK_SECRET and not STRIPE_WEBHOOK_SECRET.startswith("whsec_"):
    raise env.error("STRIPE_WEBHOOK_SECRET", "expected a Stripe webhook secret starting with whsec_.")

# --- Read API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "600/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PatentBridge API",
    "DESCRIPTION": "Read API for published patent listings and patents (public), and for the deals of the "
                   "caller's organisations (signed-in members only).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # One name per choice set used by several fields (drf-spectacular would otherwise warn and invent names).
    "ENUM_NAME_OVERRIDES": {
        "LicenceKindEnum": "listings.models.LicenceKind.choices",
        "ListingStateEnum": "listings.models.ListingState.choices",
        "DealStateEnum": "negotiations.models.DealState.choices",
        "SideEnum": "negotiations.models.Side.choices",
    },
}

# --- Accounts --------------------------------------------------------------------------
AUTH_USER_MODEL = "marketplace.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
EMAIL_VERIFICATION_MAX_AGE = 3 * 24 * 3600
INVITATION_MAX_AGE_DAYS = 14

# Login rate limiting (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env.int("LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the login form posts the email address as "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Reverse proxies in front: the client address is the PROXY_COUNT-th entry from the right of
# X-Forwarded-For (marketplace.throttle.client_ip), for the log-in lockout and the limits below.
PROXY_COUNT = env.int("PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "marketplace.throttle.client_ip"  # so axes never asks ipware (AXES_IPWARE_* unused)

# Sign-up and password reset limits (marketplace.throttle), per client address and per target email
# address, as N/second|minute|hour|day. Counted in the cache (Redis when REDIS_URL is set).
SIGNUP_RATE_PER_CLIENT = env.rate("SIGNUP_RATE_PER_CLIENT", "20/hour")
SIGNUP_RATE_PER_ADDRESS = env.rate("SIGNUP_RATE_PER_ADDRESS", "5/hour")
PASSWORD_RESET_RATE_PER_CLIENT = env.rate("PASSWORD_RESET_RATE_PER_CLIENT", "20/hour")
PASSWORD_RESET_RATE_PER_ADDRESS = env.rate("PASSWORD_RESET_RATE_PER_ADDRESS", "5/hour")

# --- Email -----------------------------------------------------------------------------
EMAIL_BACKEND = env.choice(
    "EMAIL_BACKEND",
    "console",
    ("console", "smtp", "locmem", "dummy"),
)
EMAIL_BACKEND = f"django.core.mail.backends.{EMAIL_BACKEND}.EmailBackend"
EMAIL_HOST = env.str("EMAIL_HOST", "localhost")
EMAIL_PORT = env.int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "PatentBridge <noreply@patentbridge.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation --------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["marketplace.formats"]  # one date format per language, see marketplace/formats
TIME_ZONE = env.str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # Verification documents: private (no URL); only marketplace.views.verification_document serves them.
    "verification": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(env.path("VERIFICATION_DOCUMENTS_DIR", VAR_DIR / "private" / "verification")),
                    "base_url": None},
    },
    # Deal-room attachments: private too; only negotiations' download view serves them, to the deal's parties.
    "deal_attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(env.path("DEAL_ATTACHMENTS_DIR", VAR_DIR / "private" / "deal-attachments")),
                    "base_url": None},
    },
    # Licence agreements (drafts, signed and final PDFs, yearly donation reports): private, write-once; only
    # negotiations' views serve them, to the deal's parties.
    "agreements": {
        "BACKEND": "negotiations.storage.WriteOnceFileSystemStorage",
        "OPTIONS": {"location": str(env.path("AGREEMENTS_DIR", VAR_DIR / "private" / "agreements")),
                    "base_url": None},
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
# Largest bulk-import upload (CSV, JSON Lines or .xlsx): bytes, or e.g. "40 MiB". An import holds every row
# of the file while it checks them, about 3.5 × the file's size on top of the ~160 MB process (bench/
# import_memory.py); 40 MiB keeps a whole import under 300 MB, so that is also the most it may be set to.
IMPORT_MAX_UPLOAD_BYTES = env.size("IMPORT_MAX_UPLOAD_BYTES", 40 * 1024 ** 2, minimum=1024, maximum=40 * 1024 ** 2)
# Largest verification document (PDF, PNG or JPEG) an organisation may upload: bytes, or e.g. "10 MiB".
VERIFICATION_DOCUMENT_MAX_BYTES = env.size("VERIFICATION_DOCUMENT_MAX_BYTES", 10 * 1024 ** 2, minimum=1024,
                                           maximum=100 * 1024 ** 2)
VERIFICATION_DOCUMENTS_PER_ORGANISATION = env.int("VERIFICATION_DOCUMENTS_PER_ORGANISATION", 20, minimum=1)
# Largest attachment of a deal-room message (PDF, PNG, JPEG, DOCX or XLSX): bytes, or e.g. "10 MiB".
DEAL_ATTACHMENT_MAX_BYTES = env.size("DEAL_ATTACHMENT_MAX_BYTES", 10 * 1024 ** 2, minimum=1024, maximum=100 * 1024 ** 2)
# Longest deal-room message, in characters.
DEAL_MESSAGE_MAX_CHARS = env.int("DEAL_MESSAGE_MAX_CHARS", 5000, minimum=100, maximum=20000)
# Workbook limits checked before openpyxl reads an uploaded .xlsx (listings.import_safety). They may be lowered,
# not raised: the defaults keep an import's peak memory under ~300 MB (bench/import_memory.py).
_MiB = 1024 ** 2
IMPORT_XLSX_MAX_PARTS = env.int("IMPORT_XLSX_MAX_PARTS", 1000, minimum=1, maximum=1000)
IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES = env.size("IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES", 160 * _MiB, minimum=_MiB,
                                              maximum=160 * _MiB)
IMPORT_XLSX_MAX_PART_BYTES = env.size("IMPORT_XLSX_MAX_PART_BYTES", 120 * _MiB, minimum=_MiB, maximum=120 * _MiB)
IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES = env.size("IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES", 40 * _MiB, minimum=_MiB,
                                                maximum=40 * _MiB)
IMPORT_XLSX_MAX_RATIO = env.int("IMPORT_XLSX_MAX_RATIO", 100, minimum=2, maximum=100)
IMPORT_XLSX_MAX_SHARED_STRINGS = env.int("IMPORT_XLSX_MAX_SHARED_STRINGS", 1_000_000, minimum=1, maximum=1_000_000)

# --- Deal rooms (negotiations) ----------------------------------------------------------------
# Messages a person may post in deal rooms, as N/second|minute|hour|day (counted in the cache).
DEAL_MESSAGE_RATE = env.rate("DEAL_MESSAGE_RATE", "20/minute")
# A negotiation nobody moved in for this many days expires (``manage.py expire_offers``, also lazily on read).
DEAL_IDLE_EXPIRY_DAYS = env.int("DEAL_IDLE_EXPIRY_DAYS", 60, minimum=1, maximum=3650)
# Days a new term sheet stays open unless its maker sets another date.
DEAL_OFFER_VALIDITY_DAYS = env.int("DEAL_OFFER_VALIDITY_DAYS", 14, minimum=1, maximum=365)

# --- Security --------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS >= 31536000)
if env.bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))},
    # WeasyPrint reports each rendering step and fontTools each subset at INFO: only their warnings matter.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}
