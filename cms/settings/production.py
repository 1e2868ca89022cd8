import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DATABASES, MIDDLEWARE, STORAGES
from .base import SECRET_KEY as _SECRET_KEY

if not _SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production")

# HTTPS end to end by default (nginx terminates TLS and says so in X-Forwarded-Proto).
# HTTPS=0 only for an intranet without certificates: cookies then travel in clear text and
# `check --deploy` says so.
HTTPS = os.environ.get("HTTPS", "1") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600 if HTTPS else 0)))
# Subdomains of the site's own host (the admin host, say) are HTTPS too.
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1" if HTTPS else "0") == "1"
# Browsers' preload list is for public domains submitted to hstspreload.org; an intranet or
# a Party organisation's subdomain of its company's domain is not one, so it stays off by
# default and the check that suggests it is silenced (set SECURE_HSTS_PRELOAD=1 to opt in).
SECURE_HSTS_PRELOAD = os.environ.get("SECURE_HSTS_PRELOAD", "0") == "1"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_SECURE = os.environ.get("COOKIES_SECURE", "1" if HTTPS else "0") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Persistent database connections: a new PostgreSQL connection per request more than halved
# throughput. Health checks drop a connection the server closed (restart, failover) before
# a request uses it instead of failing that request.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = os.environ.get("DATABASE_CONN_HEALTH_CHECKS", "1") == "1"

# The app serves /static/ itself (WhiteNoise), so the admin and /api/docs/ keep their CSS and
# JS without nginx; nginx serves the same collected files when it is in front. Right after
# SecurityMiddleware (WhiteNoise's advice): static answers pass back through it, the
# X-Frame-Options and the CSP middleware, so they carry the same headers as nginx sends.
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
# Hashed names (cached for a year by browsers) and pre-compressed copies; `collectstatic`
# writes them and the manifest that maps names.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

# One cache every app server and worker shares: Wagtail caches site root paths and image
# renditions there, and a per-process cache would keep serving stale entries after another
# process changed them. Sessions and log-in lock-outs are in the database already.
# `manage.py createcachetable` creates the table (deploy order, docs/operations.md).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}}
