"""Print the nginx site configuration: deploy/nginx.conf.template with its placeholders
(names between at-signs) filled from the environment.

    SERVER_NAME=dangjian.example.com VAR_DIR=/srv/dangjian/var \
        python deploy/render_nginx.py > /etc/nginx/sites-available/dangjian

The tested set-up (tests/deploy/test_production_stack.py) renders it the same way.
"""

import os
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")


def values(env=os.environ) -> dict[str, str]:
    var_dir = env.get("VAR_DIR", "/srv/dangjian/var").rstrip("/")
    return {
        "SERVER_NAME": env.get("SERVER_NAME", "dangjian.example.com"),
        "LISTEN": env.get("LISTEN", "80"),
        "APP_SERVER": env.get("APP_SERVER", "127.0.0.1:8000"),  # GUNICORN_BIND
        "VAR_DIR": var_dir,
        "STATIC_ROOT": env.get("STATIC_ROOT", f"{var_dir}/static").rstrip("/"),
        "MEDIA_ROOT": env.get("MEDIA_ROOT", f"{var_dir}/media").rstrip("/"),
    }


def render(env=os.environ) -> str:
    filled = values(env)

    def fill(match):
        return filled[match.group(1)]  # an unknown placeholder is a KeyError, not silence

    return re.sub(r"@([A-Z_]+)@", fill, TEMPLATE.read_text(encoding="utf-8"))


if __name__ == "__main__":
    sys.stdout.write(render())
