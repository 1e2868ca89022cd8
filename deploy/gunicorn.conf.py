"""gunicorn settings for the CMS and API (`gunicorn -c deploy/gunicorn.conf.py`).

Every value can be changed from the environment (docs/operations.md, settings table), so
one file serves every server; the tested set-up (tests/deploy/test_production_stack.py)
starts gunicorn with exactly this file.
"""

import multiprocessing
import os

wsgi_app = "cms.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the app is database- and CPU-bound, uploads are buffered by nginx.
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
# Large admin uploads (video up to UPLOAD_MAX_VIDEO_MB) and XLSX imports must finish; a
# request still running after this long is killed and its worker replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so a slow leak in a library never grows without bound. Not
# often, and not together: a new worker spends ~2 s of CPU loading the application, and
# workers that share the load evenly reach the limit at about the same moment. At 2,000 with
# a 10 % spread, all five workers of a 2-core server restarted within seconds of each other in
# the middle of a company-wide contest and saves waited 5 s (bench/quiz_load.py).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 2
# nginx on the same host sets X-Forwarded-Proto; Django reads it (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
# The path without its query string (%(U)s, not %(r)s): query strings carry log-in
# redirect targets (?next=…), search terms and other personal data that must not end up in
# log files. The client's address comes from nginx's X-Forwarded-For.
access_log_format = '%({x-forwarded-for}i)s %(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
