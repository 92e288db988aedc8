"""Settings, read from the environment.

`LOOKOUT_ENV` picks the profile: `development` (default, `make run`), `test` (pytest) or
`production`. Production refuses to start without a secret key and a master key source, and
forces HTTPS (commitment C4.1).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from lookout.core.client_ip import parse_trusted_proxies

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LOOKOUT_VAR_DIR", BASE_DIR / "var"))
ENV = os.environ.get("LOOKOUT_ENV", "development")
PRODUCTION = ENV == "production"
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)  # whitenoise warns when STATIC_ROOT is missing
TESTING = ENV == "test"

if PRODUCTION:
    SECRET_KEY = os.environ.get("LOOKOUT_SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "LOOKOUT_SECRET_KEY must be set to a random string of at least 50 characters "
            "in production."
        )
    if not (os.environ.get("LOOKOUT_MASTER_KEY_FILE") or os.environ.get("LOOKOUT_KMS_URI")):
        raise ImproperlyConfigured(
            "Production needs a master key source: set LOOKOUT_MASTER_KEY_FILE (a Tink keyset "
            "kept outside the database) or LOOKOUT_KMS_URI."
        )
else:
    SECRET_KEY = os.environ.get("LOOKOUT_SECRET_KEY", "dev-only-insecure-key-" + "x" * 40)

# Off in every profile, `make run` too: Django's debug pages show stack traces, settings and the
# list of every route to whoever opens the site. LOOKOUT_DEBUG=1 turns them on for a developer's
# own machine; production refuses it.
DEBUG = os.environ.get("LOOKOUT_DEBUG", "0") == "1"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("LOOKOUT_DEBUG=1 is refused in production: it shows stack traces.")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("LOOKOUT_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("LOOKOUT_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "ninja",
    "lookout.core",
    "lookout.vault",
    "lookout.audit",
    "lookout.access",
    "lookout.accounts",
    "lookout.catalog",
    "lookout.vouchers",
    "lookout.cart",
    "lookout.inbox",
    "lookout.sharing",
    "lookout.payments",
    "lookout.shipping",
    "lookout.orders",
    "lookout.checkout",
    "lookout.returns",
    "lookout.marketing",
    "lookout.consent",
    "lookout.analytics",
    "lookout.policies",
    "lookout.support",
    "lookout.reviews",
    "lookout.privacy",
    "lookout.retention",
    "lookout.staff",
    "lookout.incidents",
    "lookout.compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lookout.core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lookout.accounts.sessions.SessionMiddleware",  # Django's, minus stray sign-outs
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lookout.accounts.middleware.StaffSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Widens the CSP to a third-party origin only for visitors who opted in to its category;
    # listed before Django's CSP middleware so its response phase runs after the header is set.
    "lookout.consent.middleware.ConsentCSPMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "lookout.core.middleware.RefusalPageMiddleware",
]

ROOT_URLCONF = "lookout.urls"
WSGI_APPLICATION = "lookout.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "lookout" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "lookout.policies.context_processors.policy_announcements",
            ],
        },
    },
]

# --- Databases -------------------------------------------------------------------------------
# The main database holds ciphertext only. The key store holds each person's wrapped data key and
# lives in a database of its own, so a backup of the main database never carries the keys that
# unlock it (crypto-shredding stays effective against old backups).


def _prepare_threshold() -> int | None:
    """After how many runs on a connection psycopg prepares a statement; "off" for none (a
    connection pooler in transaction mode without prepared-statement support, such as PgBouncer
    before 1.21 or without max_prepared_statements)."""
    raw = os.environ.get("LOOKOUT_PG_PREPARE_THRESHOLD", "5").strip().lower()
    if raw == "off":
        return None
    if not raw.isdigit():
        raise ImproperlyConfigured(
            f"LOOKOUT_PG_PREPARE_THRESHOLD must be a whole number of runs (0 or more) or 'off', "
            f"not {raw[:20]!r}."
        )
    return int(raw)


def _database(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # Take the write lock up front: no "database is locked" on lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; "
                # Freed pages are zeroed: an erased value does not linger in the file.
                "PRAGMA secure_delete=ON;"
            ),
        }
        config["CONN_MAX_AGE"] = 0
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # A connection pool: without one a simple page drops from ~1,600 to ~200 req/s.
        config["OPTIONS"] = {
            "pool": {"min_size": 1, "max_size": 8, "timeout": 10},
            # Parameters sent apart from the statement, and statements run a few times on a
            # connection prepared there: PostgreSQL parses and plans each of checkout's
            # statements once per connection instead of once per order (about a third less
            # database CPU per order; decision 0023).
            "server_side_binding": True,
            "prepare_threshold": _prepare_threshold(),
        }
        config["CONN_MAX_AGE"] = 0
    return config


DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'lookout.sqlite3'}")
_default_db = _database(DATABASE_URL)
_default_keystore_url = (
    f"sqlite:///{VAR_DIR / 'keystore.sqlite3'}"
    if _default_db["ENGINE"].endswith("sqlite3")
    else DATABASE_URL.rsplit("/", 1)[0] + "/" + _default_db["NAME"] + "_keys"
)
DATABASES = {
    "default": _default_db,
    "keystore": _database(os.environ.get("KEYSTORE_DATABASE_URL", _default_keystore_url)),
}
if TESTING:
    # One set of test databases per test run, so parallel runs never share one. SQLite test
    # databases are files (not :memory:), so that tests can read the raw bytes on disk.
    _run = f"{os.getpid()}"
    for _alias, _db in DATABASES.items():
        if _db["ENGINE"].endswith("sqlite3"):
            _test_dir = VAR_DIR / "test-db"
            _test_dir.mkdir(parents=True, exist_ok=True)
            _db["TEST"] = {"NAME": str(_test_dir / f"{_alias}-{_run}.sqlite3")}
        else:
            _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{_run}"}
# A read replica of the main database, for the back office's trend reports only
# (lookout.core.replica). The test profile makes it a second connection to the test database, so
# every report test reads through it, as reports do in production: committed data only.
_replica_url = os.environ.get("REPLICA_DATABASE_URL", "")
if _replica_url:
    DATABASES["replica"] = _database(_replica_url)
    if "pool" in DATABASES["replica"]["OPTIONS"]:
        # A replica that is away should cost a report a few seconds before it falls back to
        # the primary, not the ten a checkout may wait for the primary.
        DATABASES["replica"]["OPTIONS"]["pool"] = {
            **DATABASES["replica"]["OPTIONS"]["pool"],
            "timeout": 3,
        }
        DATABASES["replica"]["OPTIONS"]["connect_timeout"] = 3
elif TESTING:
    DATABASES["replica"] = {**_default_db, "OPTIONS": dict(_default_db.get("OPTIONS", {}))}
if TESTING and "replica" in DATABASES:
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
if DATABASES.get("replica", {}).get("ENGINE", "").endswith("sqlite3"):
    # It only reads: its transactions must not take the write lock (the test case opens one on
    # every connection, this one included).
    DATABASES["replica"]["OPTIONS"]["transaction_mode"] = "DEFERRED"
DATABASE_ROUTERS = ["lookout.core.replica.ReplicaRouter", "lookout.vault.routers.KeystoreRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Shared by every server process (login throttling must hold across them).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "lookout_cache",
        }
    }

# The model holding each periodic task's schedule and last run (lookout.core.scheduler), named
# here as AUTH_USER_MODEL is, so that core names no app.
LOOKOUT_SCHEDULER_STATE_MODEL = "retention.ScheduledJob"

TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}
# How long a task may run: RQ stops it after that; on the database queue a task RUNNING longer
# is deemed abandoned by a dead worker and queued again (lookout.core.scheduler, decision 0030).
LOOKOUT_TASK_TIMEOUT = int(os.environ.get("LOOKOUT_TASK_TIMEOUT", "1800"))
if REDIS_URL and not TESTING:
    # Scale-out: the same tasks on a Redis queue (RQ), worked by `lookout rqworker`; each job
    # retried by RQ when it fails or its worker dies (lookout.core.taskqueue).
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}  # type: ignore[dict-item]
    RQ_QUEUES: dict[str, dict[str, Any]] = {
        "default": {
            "URL": REDIS_URL,
            "QUEUE_CLASS": "lookout.core.taskqueue.RetryingQueue",
            "DEFAULT_TIMEOUT": LOOKOUT_TASK_TIMEOUT,
        }
    }

# --- Accounts and passwords (C4.7) -----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Email sign-in (blind index) plus the permissions of the group named after the staff role.
AUTHENTICATION_BACKENDS = ["lookout.staff.backends.RoleBackend"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
if TESTING:
    PASSWORD_HASHERS = [
        "lookout.accounts.hashers.FastArgon2PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:centre"
LOGOUT_REDIRECT_URL = "home"
LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = int(os.environ.get("LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT", "5"))
LOOKOUT_LOGIN_LIMIT_PER_IP = int(os.environ.get("LOOKOUT_LOGIN_LIMIT_PER_IP", "20"))
LOOKOUT_LOGIN_WINDOW_SECONDS = int(os.environ.get("LOOKOUT_LOGIN_WINDOW_SECONDS", "900"))
# How long a new staff member's invitation link works (accounts.invitations).
LOOKOUT_STAFF_INVITATION_HOURS = int(os.environ.get("LOOKOUT_STAFF_INVITATION_HOURS", "72"))

if PRODUCTION:
    # Real delivery over SMTP with STARTTLS by default (C4.1: in transit means mail too).
    MAILERS = {
        "default": {
            "BACKEND": os.environ.get(
                "LOOKOUT_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
            ),
            "OPTIONS": {
                "host": os.environ.get("LOOKOUT_SMTP_HOST", "localhost"),
                "port": int(os.environ.get("LOOKOUT_SMTP_PORT", "587")),
                "username": os.environ.get("LOOKOUT_SMTP_USER", ""),
                "password": os.environ.get("LOOKOUT_SMTP_PASSWORD", ""),
                "use_tls": os.environ.get("LOOKOUT_SMTP_TLS", "1") == "1",
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": os.environ.get(
                "LOOKOUT_EMAIL_BACKEND",
                "django.core.mail.backends.locmem.EmailBackend"
                if TESTING
                else "lookout.support.outbox.OutboxBackend",  # shown on /help/outbox/
            ),
        }
    }
DEFAULT_FROM_EMAIL = os.environ.get("LOOKOUT_FROM_EMAIL", "Lookout <no-reply@example.com>")
# The store's own address, for links in emails sent outside a request (a guest's order link
# when the order was paid by the processor's webhook or by reconciliation). Production needs an
# https address: LOOKOUT_SITE_URL, or else https:// and the first host of LOOKOUT_ALLOWED_HOSTS.
LOOKOUT_SITE_URL = os.environ.get("LOOKOUT_SITE_URL", "").strip().rstrip("/")
if not LOOKOUT_SITE_URL:
    _site_host = next((h for h in ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")), "")
    LOOKOUT_SITE_URL = f"https://{_site_host}" if PRODUCTION else "http://127.0.0.1:8000"
if PRODUCTION and (LOOKOUT_SITE_URL == "https://" or not LOOKOUT_SITE_URL.startswith("https://")):
    raise ImproperlyConfigured(
        "LOOKOUT_SITE_URL must be the store's https:// address in production (links in emails "
        "use it)."
    )

# --- Vault (C4.2) ----------------------------------------------------------------------------
LOOKOUT_MASTER_KEY_FILE = Path(
    os.environ.get("LOOKOUT_MASTER_KEY_FILE", VAR_DIR / "master-keyset.json")
)
LOOKOUT_KMS_URI = os.environ.get("LOOKOUT_KMS_URI", "")

# --- Security headers, cookies, CSP (C4.1, C4.7) ---------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # a session cookie carries no expiry (C7.2)
SESSION_COOKIE_NAME = "lookout_session"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_USE_SESSIONS = False
CSRF_COOKIE_NAME = "lookout_csrf"
CSRF_COOKIE_AGE = None  # session cookie, no expiry
CSRF_FAILURE_VIEW = "lookout.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("LOOKOUT_SSL_REDIRECT", "1") == "1"
    # A load balancer or proxy checks each process over plain HTTP on its private address, and a
    # 301 there reads as "down". /healthz carries no session, cookie or personal data, so it is
    # answered on either scheme; every other path is still redirected (tests/ops/test_healthz.py).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if os.environ.get("LOOKOUT_BEHIND_PROXY", "0") == "1":
        # The proxy terminates TLS and says so; only trust the header when told to.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed
# when the per-IP throttles and analytics ask who the client is (lookout/core/client_ip.py).
# Empty, the default: the header is ignored and REMOTE_ADDR is the client.
try:
    LOOKOUT_TRUSTED_PROXIES = parse_trusted_proxies(os.environ.get("LOOKOUT_TRUSTED_PROXIES", ""))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
# The store's own machines (database, Redis, workers, monitoring), addresses or networks,
# comma-separated. Logs name them whole, as they do loopback and the trusted proxies; every other
# address in a log record is a visitor's and is cut to its network (lookout/core/logging.py).
try:
    LOOKOUT_INFRA_NETWORKS = parse_trusted_proxies(os.environ.get("LOOKOUT_INFRA_NETWORKS", ""))
except ValueError as error:
    _message = str(error).replace("LOOKOUT_TRUSTED_PROXIES", "LOOKOUT_INFRA_NETWORKS")
    raise ImproperlyConfigured(_message) from None

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# whitenoise warns (an error under pytest) when the collected-files folder is missing; development
# and tests serve from the app folders, so an empty one is enough until `collectstatic` fills it.
STATIC_ROOT.mkdir(exist_ok=True)
# Project-wide assets (htmx, the stylesheet) live outside any app.
STATICFILES_DIRS = [BASE_DIR / "lookout" / "static"]
# Uploaded files (product photos, lookout/catalog/photos.py) go through the storage API only: a
# folder under LOOKOUT_VAR_DIR by default, served by the app at MEDIA_URL with immutable cache
# headers; an S3-compatible bucket with django-storages (docs/operations.md, "Product photos").
MEDIA_ROOT = Path(os.environ.get("LOOKOUT_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = os.environ.get("LOOKOUT_MEDIA_URL", "/media/")
_media = urlsplit(MEDIA_URL)
if _media.scheme in ("https", "http") and _media.netloc:  # photos from a CDN or a bucket
    SECURE_CSP["img-src"].append(f"{_media.scheme}://{_media.netloc}")
STORAGES = {
    # Tests keep uploads in memory (per process): nothing lands in var/, nothing is shared.
    "default": {
        "BACKEND": "django.core.files.storage."
        + ("InMemoryStorage" if TESTING else "FileSystemStorage")
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Tests build a new request handler, and so a new whitenoise middleware, for every test client:
# scanning every static file at each start cost about a third of the access-control tests' time.
# Under test, files are looked up when asked for instead (as in development with DEBUG on).
WHITENOISE_AUTOREFRESH = TESTING

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging: structured, never personal data in plaintext -----------------------------------
# `json` (one object per line, python-json-logger: the production default) or `text` (plain
# lines: the default elsewhere). Both go through the masking filter (decision 0042).
LOOKOUT_LOG_FORMAT = os.environ.get("LOOKOUT_LOG_FORMAT", "json" if PRODUCTION else "text")
if LOOKOUT_LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(
        f"LOOKOUT_LOG_FORMAT={LOOKOUT_LOG_FORMAT!r}: use 'json' (production) or 'text'."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "lookout.core.logging.PersonalDataFilter"}},
    "formatters": {
        "json": {"()": "lookout.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_personal_data"],
            "formatter": "json" if LOOKOUT_LOG_FORMAT == "json" else "plain",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOOKOUT_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own default handlers (console when DEBUG, mail_admins) bypass the masking
        # filter: drop them, so every django record goes through the root handler above.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Policies (C8) ---------------------------------------------------------------------------
LOOKOUT_POLICY_NOTICE_DAYS = int(os.environ.get("LOOKOUT_POLICY_NOTICE_DAYS", "30"))
LOOKOUT_POLICY_ANNOUNCE_DAYS = int(os.environ.get("LOOKOUT_POLICY_ANNOUNCE_DAYS", "30"))
LOOKOUT_POLICY_NOTICE_BATCH = int(os.environ.get("LOOKOUT_POLICY_NOTICE_BATCH", "500"))

# --- Payments (C2.3) -------------------------------------------------------------------------
# The sandbox processor is mounted beside the store outside production. The store reaches it
# server-to-server: over HTTP when LOOKOUT_PAYMENT_PROCESSOR_URL is set, otherwise in-process
# through the processor's own WSGI app (so any port or TLS setup works in development).
LOOKOUT_PAYMENT_PROCESSOR_URL = os.environ.get(
    "LOOKOUT_PAYMENT_PROCESSOR_URL", "http://127.0.0.1:8000/sandbox-processor"
)
LOOKOUT_PAYMENT_PROCESSOR_IN_PROCESS = (
    not PRODUCTION and "LOOKOUT_PAYMENT_PROCESSOR_URL" not in os.environ
)
LOOKOUT_PAYMENT_TIMEOUT_SECONDS = float(os.environ.get("LOOKOUT_PAYMENT_TIMEOUT_SECONDS", "10"))
if "LOOKOUT_PAYMENT_SANDBOX_ENABLED" in os.environ:  # default: mounted outside production
    LOOKOUT_PAYMENT_SANDBOX_ENABLED = os.environ["LOOKOUT_PAYMENT_SANDBOX_ENABLED"] == "1"
LOOKOUT_PAYMENT_SANDBOX_DB = VAR_DIR / "sandbox-processor.sqlite3"
LOOKOUT_PAYMENT_SANDBOX_HANG_SECONDS = 1.0 if TESTING else 15.0
# Which processor takes the money: "sandbox" (the default, also for `make run`) or "stripe"
# (Stripe Checkout; docs/operations.md, "Taking real payments"). Stripe needs both keys.
LOOKOUT_PAYMENT_GATEWAY = os.environ.get("LOOKOUT_PAYMENT_GATEWAY", "sandbox").strip().lower()
LOOKOUT_STRIPE_SECRET_KEY = os.environ.get("LOOKOUT_STRIPE_SECRET_KEY", "")
LOOKOUT_STRIPE_WEBHOOK_SECRET = os.environ.get("LOOKOUT_STRIPE_WEBHOOK_SECRET", "")
LOOKOUT_STRIPE_API_BASE = os.environ.get("LOOKOUT_STRIPE_API_BASE", "")  # tests: localstripe
if LOOKOUT_PAYMENT_GATEWAY not in ("sandbox", "stripe") or (
    LOOKOUT_PAYMENT_GATEWAY == "stripe"
    and not (LOOKOUT_STRIPE_SECRET_KEY and LOOKOUT_STRIPE_WEBHOOK_SECRET)
):
    raise ImproperlyConfigured(
        "LOOKOUT_PAYMENT_GATEWAY must be 'sandbox' or 'stripe', and 'stripe' needs "
        "LOOKOUT_STRIPE_SECRET_KEY and LOOKOUT_STRIPE_WEBHOOK_SECRET."
    )

# --- Customer service (issue 23) ----------------------------------------------------------
# The store's operating entity, shown on the help and contact page: who answers for the store,
# where, and how to reach it. Set by the operator; the defaults say so on the page.
LOOKOUT_OPERATOR_NAME = os.environ.get("LOOKOUT_OPERATOR_NAME", "Lookout (operator not set)")
LOOKOUT_OPERATOR_ADDRESS = os.environ.get("LOOKOUT_OPERATOR_ADDRESS", "Postal address not set")
LOOKOUT_OPERATOR_CONTACT = os.environ.get("LOOKOUT_OPERATOR_CONTACT", "")
# Business days (warehouse calendar) within which a new conversation gets its first answer (C1.9).
LOOKOUT_SUPPORT_REPLY_DAYS = int(os.environ.get("LOOKOUT_SUPPORT_REPLY_DAYS", "1"))
# New conversations one client network may open per limiter window.
LOOKOUT_SUPPORT_OPEN_LIMIT = int(os.environ.get("LOOKOUT_SUPPORT_OPEN_LIMIT", "10"))

# --- Orders and shipping (C1.6) --------------------------------------------------------------
# Warehouse holidays as ISO dates, comma separated: they are not business days.
LOOKOUT_WAREHOUSE_HOLIDAYS = [
    d.strip() for d in os.environ.get("LOOKOUT_WAREHOUSE_HOLIDAYS", "").split(",") if d.strip()
]
LOOKOUT_GUEST_LINK_DAYS = int(os.environ.get("LOOKOUT_GUEST_LINK_DAYS", "90"))
# The payment processor's way back to the order: hours from the order's placement.
LOOKOUT_RETURN_LINK_HOURS = int(os.environ.get("LOOKOUT_RETURN_LINK_HOURS", "2"))
# Held stock that comes back (lookout/orders/holds.py): an unpaid order keeps its stock this long;
# from RECONCILE_AFTER on the processor is asked what became of its payment; one client network,
# and one signed-in account, holds at most MAX_UNPAID unpaid orders at once (orders/limits.py); a
# line holds at most MAX_PER_LINE of one product.
LOOKOUT_ORDER_HOLD_MINUTES = int(os.environ.get("LOOKOUT_ORDER_HOLD_MINUTES", "30"))
LOOKOUT_RECONCILE_AFTER_MINUTES = int(os.environ.get("LOOKOUT_RECONCILE_AFTER_MINUTES", "5"))
LOOKOUT_MAX_UNPAID_ORDERS = int(os.environ.get("LOOKOUT_MAX_UNPAID_ORDERS", "3"))
LOOKOUT_MAX_PER_LINE = int(os.environ.get("LOOKOUT_MAX_PER_LINE", "10"))

# --- Analytics (C2.4, C3.4) ------------------------------------------------------------------
LOOKOUT_ANALYTICS_MIN_GROUP = int(os.environ.get("LOOKOUT_ANALYTICS_MIN_GROUP", "5"))
# Analytics events are written in batches at most this many seconds after their beacon
# (lookout/analytics/buffer.py); 0 writes each beacon before answering. The test profile writes
# at once, so a test reads what it just sent; the buffer's own tests turn it on.
LOOKOUT_ANALYTICS_FLUSH_SECONDS = float(
    os.environ.get("LOOKOUT_ANALYTICS_FLUSH_SECONDS", "0" if TESTING else "0.25")
)

# --- Request limits ----------------------------------------------------------------------------
# No form or API body needs more than a few KB; a larger one is refused with 400 before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("LOOKOUT_MAX_BODY_BYTES", str(256 * 1024)))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
