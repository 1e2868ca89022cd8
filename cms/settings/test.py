import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests never touch the developer's var/ or content/: each session gets its own tree and
# individual tests point these at their own tmp_path through the `site_paths` fixture.
_TEST_ROOT = Path(tempfile.mkdtemp(prefix="dangjian-test-"))
VAR_DIR = _TEST_ROOT / "var"
CONTENT_DIR = _TEST_ROOT / "content"
CONTENT_GIT_DIR = VAR_DIR / "content.git"
SITE_RELEASES_DIR = VAR_DIR / "site"
MEDIA_ROOT = VAR_DIR / "media"
STATIC_ROOT = VAR_DIR / "static"

# Wagtail caches renditions (and site root paths) across tests otherwise; each test has its
# own media directory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    # Log-in throttling needs a cache that remembers; tests/conftest.py clears it per test.
    "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-throttle"},
}
