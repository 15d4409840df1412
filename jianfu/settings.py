"""Jianfu settings: one file, driven by the environment (see docs/deployment.md)."""

import secrets
from copy import deepcopy
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent

env = environ.Env()

DATA_DIR = Path(env.str("JIANFU_DATA_DIR", default="var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data folder."""
    if key := env.str("SECRET_KEY", default=""):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()


def _field_key() -> bytes:
    """The master key for encrypted fields (ID numbers): 32 bytes, from JIANFU_FIELD_KEY (64 hex
    digits) or generated once and kept in the data folder. Losing it loses every encrypted
    field, so back it up apart from the database (docs/deployment.md)."""
    if key := env.str("JIANFU_FIELD_KEY", default=""):
        return bytes.fromhex(key)
    key_file = DATA_DIR / "field_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return bytes.fromhex(key_file.read_text().strip())


JIANFU_FIELD_KEY = _field_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Behind a TLS-terminating proxy (docs/deployment.md) every cookie is secure and HTTP redirects
# to HTTPS. The quick start serves plain HTTP on loopback, where secure cookies would never be sent.
HTTPS = env.bool("JIANFU_HTTPS", default=False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Without "ninja" here its API docs page would load Swagger UI from a CDN.
    "ninja",
    "django_htmx",
    "template_partials",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "jianfu.core",
    "jianfu.org",
    "jianfu.catalog",
    "jianfu.admission",
    "jianfu.dispatch",
    "jianfu.funds",
    "jianfu.evaluation",
    "jianfu.certificates",
    "jianfu.burden",
    "jianfu.reports",
    "jianfu.portal",
    "jianfu.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jianfu.core.middleware.InterfaceLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "jianfu.core.middleware.IdleSessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes goes last so it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jianfu.urls"
WSGI_APPLICATION = "jianfu.wsgi.application"

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
                "jianfu.core.context_processors.navigation",
            ],
        },
    }
]

# Databases: SQLite in the data folder unless DATABASE_URL names another.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'jianfu.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the busy
        # timeout instead of failing with "database is locked" halfway through a transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # Reads map the file into memory (up to 1 GiB, address space only; the pages stay in
        # the OS cache) instead of copying each page through SQLite's small page cache: a tally
        # of a million ballots reads in half the time (benchmarks/README.md).
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA mmap_size=1073741824;"
        ),
    }
    # Each process keeps its connection between requests: opening the file and running the
    # PRAGMAs above cost more than a small page's queries (benchmarks/README.md, HTTP load).
    # Restoring a backup over the file therefore needs the processes restarted.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("JIANFU_DB_CONN_MAX_AGE", default=600)
elif env.bool("JIANFU_PGBOUNCER", default=False):
    # PgBouncer in transaction pooling mode hands each transaction to any server connection:
    # nothing may outlive a transaction on the server (no server-side cursors, no prepared
    # statements), and PgBouncer does the pooling, so the app keeps one persistent connection
    # per process to it instead of a pool of its own (docs/deployment.md).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("JIANFU_DB_CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif env.bool("JIANFU_DB_POOL", default=True):
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": 10}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL binds the parameters itself (psycopg's way; Django's default quotes them into
    # the text), and a connection that has run a statement five times prepares it and plans it
    # no more. Django turns psycopg's preparing off unless asked (for PgBouncer, which keeps it
    # off above): without it PostgreSQL parsed and planned every statement of every request,
    # four times the database's work of a public verification (benchmarks/README.md).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
# A streaming replica of the primary for read-only pages (jianfu.core.db_router): the same
# engine settings and pool as the primary. In tests it mirrors the test database (`MIRROR`
# keeps its own host and port), so against a real replica the tests read replicated rows.
if replica_url := env.str("DATABASE_REPLICA_URL", default=""):
    replica = env.db_url_config(replica_url)
    if replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name the same engine as the primary")
    for key in ("OPTIONS", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "DISABLE_SERVER_SIDE_CURSORS"):
        if key in DATABASES["default"]:
            replica[key] = deepcopy(DATABASES["default"][key])
    replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = replica
DATABASE_ROUTERS = ["jianfu.core.db_router.PrimaryReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    # ModelBackend, reading the account with its unit, region and roles in one statement.
    "jianfu.org.backends.AccountBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_MIN_LENGTH = env.int("JIANFU_PASSWORD_MIN_LENGTH", default=12)
# How many of the four character classes (upper case, lower case, digits, symbols) a password needs.
PASSWORD_MIN_CHARACTER_CLASSES = env.int("JIANFU_PASSWORD_MIN_CLASSES", default=3)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {
        "NAME": "jianfu.core.passwords.CharacterClassValidator",
        "OPTIONS": {"min_classes": PASSWORD_MIN_CHARACTER_CLASSES},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

# Sessions: an absolute lifetime, plus an idle timeout enforced by our middleware.
SESSION_COOKIE_AGE = env.int("JIANFU_SESSION_MAX_SECONDS", default=12 * 3600)
SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("JIANFU_SESSION_IDLE_MINUTES", default=30))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Lockout: 5 failures lock the username for 30 minutes.
AXES_FAILURE_LIMIT = env.int("JIANFU_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("JIANFU_LOCKOUT_MINUTES", default=30))
# Per account, not per address: offices sit behind one NAT address, and locking it would lock
# out a whole street office because of one mistyped password.
AXES_LOCKOUT_PARAMETERS = ["username"]
# Intranet host names cannot be on the browsers' public HSTS preload list (security.W021).
SILENCED_SYSTEM_CHECKS = ["axes.W006", "security.W021"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "jianfu.core.views.lockout"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("JIANFU_PROXY_COUNT", default=0)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Third-party browser packages come from the npm registry into node_modules (see package.json),
# never from a CDN and never committed.
NODE_MODULES = PROJECT_DIR / "node_modules"
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    (f"vendor/{name}", NODE_MODULES / name / "dist")
    for name in ("echarts",)
    if (NODE_MODULES / name / "dist").is_dir()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
# A cache every process on the machine shares (gunicorn's workers), in the data folder: limits
# such as failed one-time-code attempts per address must count across workers.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    }
}
# The address residents reach Jianfu at (e.g. https://jianfu.example.gov.cn), printed into the
# QR codes of token sheets; without it the address the sheet was requested at is used.
JIANFU_SITE_URL = env.str("JIANFU_SITE_URL", default="").rstrip("/")
# The site's licensed official-document fonts (方正小标宋简体, 仿宋_GB2312, 楷体_GB2312 …): their
# .ttf/.otf files here are embedded in the annual notice; without them it prints in Noto CJK.
JIANFU_OFFICIAL_FONTS_DIR = Path(
    env.str("JIANFU_OFFICIAL_FONTS_DIR", default=str(DATA_DIR / "fonts"))
).resolve()
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Swagger UI and ECharts set style attributes at run time.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

TASKS = {
    "default": {
        "BACKEND": env.str("JIANFU_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}
# Background tasks on Redis (`pip install jianfu[redis]`): `jianfu worker` then runs RQ workers.
RQ_BACKEND = "django_tasks_rq.RQBackend"
if TASKS["default"]["BACKEND"] == RQ_BACKEND:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
RQ_QUEUES = {
    "default": {
        "URL": env.str("JIANFU_REDIS_URL", default="redis://127.0.0.1:6379/0"),
        # An import or a province's notice may run for many minutes; RQ's default is 3.
        "DEFAULT_TIMEOUT": env.int("JIANFU_TASK_TIMEOUT_SECONDS", default=6 * 3600),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
