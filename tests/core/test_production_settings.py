"""Production settings pass Django's deployment checklist (`manage.py check --deploy`)."""

import os
import subprocess
import sys

from django.conf import settings


def test_check_deploy_passes_with_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # set for live_server tests
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DJANGO_SECRET_KEY": "x" * 30 + "y7#Kq!v2Zp@Lm9$Wd4^Rt8&Hs6*Jf3(Ng1)Cb5+Xe0-Ua",
        "DATABASE_URL": "postgres://dangjian@127.0.0.1:5432/dangjian",  # not connected to
        "DJANGO_ALLOWED_HOSTS": "dangjian.example.cn",
        "VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
