"""Settings of bench/quiz_load.py's installation: production's, plus a URL configuration
that adds the benchmark's trivial view (bench/urls_quiz_load.py). The product itself has no
benchmark-only route; only the installation the benchmark starts serves this one."""

from cms.settings.production import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls_quiz_load"
