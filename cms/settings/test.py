import atexit
import os
import shutil
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import DATABASES, env_path

DEBUG = False
SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests never touch the developer's var/ or content/: each session gets its own tree and
# individual tests point these at their own tmp_path through the `site_paths` fixture.
# A worker process started by a test (tests/publishing/test_recovery.py) runs with these
# settings too and gets the test's paths from the environment.
_TEST_ROOT = None if os.environ.get("VAR_DIR") else Path(tempfile.mkdtemp(prefix="dangjian-test-"))
if _TEST_ROOT:
    # `make test` puts it on tmpfs (memory): gone with the process that made it.
    atexit.register(shutil.rmtree, _TEST_ROOT, ignore_errors=True)
VAR_DIR = env_path("VAR_DIR", _TEST_ROOT / "var" if _TEST_ROOT else None)
CONTENT_DIR = env_path("CONTENT_DIR", (_TEST_ROOT or VAR_DIR) / "content")
CONTENT_GIT_DIR = env_path("CONTENT_GIT_DIR", VAR_DIR / "content.git")
SITE_RELEASES_DIR = env_path("SITE_RELEASES_DIR", VAR_DIR / "site")
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
STATIC_ROOT = env_path("STATIC_ROOT", VAR_DIR / "static")

# The SQLite test database is a file, not Django's shared in-memory database, so that
# worker processes a test starts can open it (DATABASE_URL=sqlite:////…/test.sqlite3).
# _TEST_ROOT is per process, and pytest-django suffixes the name per xdist worker anyway.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str((_TEST_ROOT or VAR_DIR) / "test.sqlite3")

# Wagtail caches renditions (and site root paths) across tests otherwise; each test has its
# own media directory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
