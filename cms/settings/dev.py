import os

from .base import *  # noqa: F401,F403
from .base import SECRET_KEY as _SECRET_KEY

DEBUG = True
SECRET_KEY = _SECRET_KEY or "dev-only-insecure-key-change-me"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
# `make run` demo accounts stay usable as printed by load_demo (production marks them).
INITIAL_PASSWORD_CHANGE_REQUIRED = os.environ.get("INITIAL_PASSWORD_CHANGE_REQUIRED", "0") == "1"
# Mail goes to the console of `make run` unless an SMTP server is configured (EMAIL_HOST).
if not os.environ.get("EMAIL_HOST") and not os.environ.get("EMAIL_BACKEND"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
