"""The production set-up of docs/operations.md, running: PostgreSQL, `manage.py worker`,
gunicorn with deploy/gunicorn.conf.py and nginx with the site rendered from
deploy/nginx.conf.template, all on 127.0.0.1. 200 publishes go through the real services
while a client reads pages through nginx: every answer is 200 and every page whole."""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from tests.production import REPO, Installation, PostgresDatabases, html_files

pytestmark = pytest.mark.production_stack

OPERATIONS = REPO / "docs" / "operations.md"
TEMPLATE = REPO / "deploy" / "nginx.conf.template"
PUBLISHES = 200
EDITED = "/news/volunteer-party-day/"
OTHERS = ["/", "/news/", "/openness/", "/theory/theme-party-day-guide/", "/tags/"]
VERSION = re.compile(r"（第(\d+)版）")

# Runs inside `manage.py shell` of the installation: page edits published the way an
# editor's publish goes (revision.publish()), back to back: the worker takes them as fast
# as it can (bursts coalesce into fewer builds).
PUBLISHER = f"""
import time
from wagtail.models import Page
from cms.accounts.models import User
from cms.publishing.models import ContentChange
editor = User.objects.get(username="reviewer")
page = Page.objects.get(url_path__endswith="{EDITED}").specific
base = page.title
for number in range({PUBLISHES}):
    page.title = f"{{base}}（第{{number}}版）"
    revision = page.save_revision(user=editor)
    revision.publish(user=editor)
    print("published", number, flush=True)
deadline = time.monotonic() + 120
while ContentChange.objects.filter(released_at__isnull=True).exists():
    assert time.monotonic() < deadline, "the worker did not publish everything"
    time.sleep(0.05)
"""


def free_ports(count: int) -> list[int]:
    """``count`` different free ports: each stays bound until all are chosen (one at a time,
    the kernel may hand out a port just released again, and nginx then served the plain
    redirect on its TLS port: "400 plain HTTP request sent to HTTPS port")."""
    with contextlib.ExitStack() as held:
        ports = []
        for _ in range(count):
            sock = held.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def wait_for(url: str, timeout: float = 60, verify=True) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=20, verify=verify, allow_redirects=False)  # answering is enough
            return
        except requests.RequestException:  # not listening yet, or still importing Django
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def nginx_main_config(tmp: Path, site: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf provides around a site, in the test's own
    directory (pid, logs, temp files), in the foreground."""
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the test's 0700 temp dir
    temp = "\n".join(
        f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
{user}
worker_processes 2;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp / "access.log"};
{temp}
    include {site};
}}
"""


def installation_of(root: Path, database_url: str, **extra_env: str) -> Installation:
    """The installation behind nginx (X-Forwarded-* trusted, files handed over to nginx)."""
    return Installation(
        root, database_url, TRUSTED_PROXIES="1", PRIVATE_MEDIA_ACCEL_PREFIX="/_protected_media/", **extra_env
    )


def start_process(args, log_path: Path, env) -> subprocess.Popen:
    log = open(log_path, "w")
    return subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_processes(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(10)  # the worker finishes its task first; recovery copes with a kill
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Stack:
    """gunicorn and nginx in front of a deployed installation (its database, VAR_DIR and
    worker are the module's `deployment`: deploying once serves both stacks)."""

    def __init__(self, tmp_path: Path, deployment: Installation, *, tls: bool = False):
        self.tmp = tmp_path
        self.tls = tls
        self.app_port, self.web_port, self.redirect_port = free_ports(3)
        # With TLS the production default HTTPS=1 stays (redirects, HSTS, Secure cookies).
        https = {"HTTPS": "1"} if tls else {}
        self.installation = installation_of(deployment.root, deployment.database_url, **https)
        self.processes: list[subprocess.Popen] = []

    @property
    def app(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def web(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.web_port}"

    @property
    def certificate(self) -> Path:
        return self.tmp / "nginx" / "cert.pem"

    def with_tls(self, site: str, nginx_dir: Path) -> str:
        """docs/operations.md, “HTTPS”: `listen … ssl`, the certificate lines below it, and a
        plain-HTTP server that only redirects (here on ports of the test's own)."""
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                str(nginx_dir / "key.pem"),
                "-out",
                str(self.certificate),
            ],
            check=True,
            capture_output=True,
        )
        listen = f"    listen 127.0.0.1:{self.web_port} ssl;\n"
        assert site.count(listen) == 1, site[:500]
        site = site.replace(
            listen,
            listen + f"    ssl_certificate {self.certificate};\n    ssl_certificate_key {nginx_dir / 'key.pem'};\n",
        )
        return site + (
            f"\nserver {{\n    listen 127.0.0.1:{self.redirect_port};\n"
            f"    return 301 https://$host:{self.web_port}$request_uri;\n}}\n"
        )

    def start(self, args, name, env=None):
        process = start_process(args, self.tmp / f"{name}.log", env or self.installation.env)
        self.processes.append(process)
        return process

    def up(self) -> None:
        env = {**self.installation.env, "GUNICORN_BIND": f"127.0.0.1:{self.app_port}", "GUNICORN_WORKERS": "2"}
        self.start([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"], "gunicorn", env)
        nginx_dir = self.tmp / "nginx"
        nginx_dir.mkdir()
        listen = f"127.0.0.1:{self.web_port}" + (" ssl" if self.tls else "")
        render_env = {
            **self.installation.env,
            "LISTEN": listen,
            "APP_SERVER": f"127.0.0.1:{self.app_port}",
            "SERVER_NAME": "127.0.0.1",
        }
        site = subprocess.run(
            [sys.executable, "deploy/render_nginx.py"],
            cwd=REPO,
            env=render_env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if self.tls:
            site = self.with_tls(site, nginx_dir)
        (nginx_dir / "site.conf").write_text(site, encoding="utf-8")
        (nginx_dir / "nginx.conf").write_text(nginx_main_config(nginx_dir, nginx_dir / "site.conf"), encoding="utf-8")
        self.start(
            [
                shutil.which("nginx") or "/usr/sbin/nginx",
                "-p",
                str(nginx_dir),
                "-e",
                str(nginx_dir / "error.log"),
                "-c",
                str(nginx_dir / "nginx.conf"),
            ],
            "nginx",
        )
        wait_for(self.app + "/api/health/")
        wait_for(self.web + "/", verify=str(self.certificate) if self.tls else True)

    def down(self) -> None:
        stop_processes(self.processes)

    def logs(self) -> str:
        logs = [*sorted(self.tmp.glob("*.log")), self.installation.root / "worker.log"]
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs if p.exists())


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """One installation deployed in the order of docs/operations.md, with its worker, for
    both stacks of this module when one test process runs both (the deploy is most of a
    stack's start-up)."""
    databases = PostgresDatabases()
    installation = installation_of(tmp_path_factory.mktemp("stack"), databases.create("stack"))
    worker = []
    try:
        installation.deploy()
        worker.append(
            start_process(
                [sys.executable, "manage.py", "worker", "--interval", "0.05"],
                installation.root / "worker.log",
                installation.env,
            )
        )
        yield installation
    finally:
        stop_processes(worker)
        databases.drop_all()


def running_stack(tmp_path, deployment, *, tls: bool):
    running = Stack(tmp_path, deployment, tls=tls)
    try:
        running.up()
        yield running
    finally:
        running.down()


@pytest.fixture
def stack(tmp_path, deployment):
    yield from running_stack(tmp_path, deployment, tls=False)


@pytest.fixture
def tls_stack(tmp_path, deployment):
    yield from running_stack(tmp_path, deployment, tls=True)


def test_https_as_operations_md_describes_it(tls_stack):
    """TLS in nginx, HTTPS=1 in Django: pages over HTTPS, plain HTTP redirected, HSTS and
    Secure cookies from the app behind nginx, and the app refuses plain HTTP itself."""
    verify = str(tls_stack.certificate)
    web = tls_stack.web
    for path in ("/", EDITED, "/api/health/", "/admin/login/", "/static/wagtailadmin/css/core.css"):
        response = requests.get(web + path, timeout=10, verify=verify)
        assert response.status_code == 200, (path, response.status_code, tls_stack.logs())

    health = requests.get(web + "/api/health/", timeout=10, verify=verify)
    assert "max-age=31536000" in health.headers["Strict-Transport-Security"]
    login = requests.get(web + "/admin/login/", timeout=10, verify=verify)
    assert login.cookies and all(cookie.secure for cookie in login.cookies)

    plain = requests.get(f"http://127.0.0.1:{tls_stack.redirect_port}/news/?a=1", timeout=10, allow_redirects=False)
    assert (plain.status_code, plain.headers["Location"]) == (301, web + "/news/?a=1")
    # Straight to gunicorn without nginx's X-Forwarded-Proto: Django sends people to HTTPS.
    direct = requests.get(tls_stack.app + "/admin/login/", timeout=10, allow_redirects=False)
    assert direct.status_code == 301 and direct.headers["Location"].startswith("https://")


def test_operations_md_shows_the_nginx_template():
    # (tests/core/test_security.py checks the policies in operations.md, so in the template.)
    text = OPERATIONS.read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", text, re.S)
    assert TEMPLATE.read_text(encoding="utf-8") in blocks


def stylesheets_load(base: str, page: str) -> list[str]:
    """The page answers 200 and every stylesheet and script it links loads from `base`."""
    response = requests.get(base + page, timeout=10)
    assert response.status_code == 200, (base, page, response.status_code)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', response.text)
    assert any(a.endswith(".css") for a in assets), (page, assets)
    for asset in assets:
        answer = requests.get(base + asset, timeout=10)
        assert answer.status_code == 200, (base, asset, answer.status_code)
        expected = "text/css" if asset.endswith(".css") else "javascript"
        assert expected in answer.headers["Content-Type"], (asset, answer.headers["Content-Type"])
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    return assets


def assert_checked_files_leave_through_nginx(stack):
    """A public image: gunicorn checks and hands over (X-Accel-Redirect, no body), nginx sends
    the file from its internal location."""
    name = stack.installation.shell_json(
        "from wagtail.images.models import Image\n"
        "result = next(i.file.name for i in Image.objects.all() if not i.collection.get_view_restrictions().exists())"
    )
    url = "/media/" + name
    handed_over = requests.get(stack.app + url, timeout=10)
    assert handed_over.status_code == 200 and handed_over.headers["X-Accel-Redirect"].startswith("/_protected_media/")
    assert handed_over.content == b""
    served = requests.get(stack.web + url, timeout=10)
    assert served.status_code == 200, served.status_code
    assert served.content == (stack.installation.var / "media" / name).read_bytes()
    assert served.headers["Content-Type"].startswith("image/")
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def member_login(base: str, password: str, query: str = "") -> requests.Response:
    """A log-in from a new client session (a new connection: any gunicorn worker answers)."""
    session = requests.Session()
    session.get(base + "/api/member/session/", timeout=10)
    return session.post(
        base + "/api/member/session/" + query,
        json={"username": "member1", "password": password},
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": base + "/member/"},
        timeout=10,
    )


def assert_login_lockout_is_shared_by_all_gunicorn_workers(stack):
    # Five failures spread over gunicorn's processes lock the account for all of them, the
    # admin included; the query string of a log-in never reaches the access log.
    for attempt in range(5):
        failed = member_login(stack.web, "wrong-password", query=f"?next=/secret-{attempt}/")
        assert failed.status_code == (400 if attempt < 4 else 429), failed.text  # the fifth locks
    locked = member_login(stack.web, "Dangjian@2026")
    assert locked.status_code == 429 and locked.json()["code"] == "locked", locked.text
    assert "锁定" in locked.json()["detail"]
    admin = requests.Session()
    page = admin.get(stack.web + "/admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = admin.post(
        stack.web + "/admin/login/",
        data={"username": "member1", "password": "Dangjian@2026", "csrfmiddlewaretoken": token},
        headers={"Referer": stack.web + "/admin/login/"},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 429, answer.status_code
    log = (stack.tmp / "gunicorn.log").read_text(errors="replace")
    assert '"POST /api/member/session/ HTTP/1.0" 400' in log or '"POST /api/member/session/ HTTP/1.1" 400' in log
    assert "secret-" not in log


def test_publishes_under_load_never_show_a_broken_page(stack):
    # The admin and Swagger UI keep their CSS and JS behind nginx and with gunicorn alone.
    for base in (stack.web, stack.app):
        stylesheets_load(base, "/admin/login/")
        stylesheets_load(base, "/api/docs/")
    home = requests.get(stack.web + "/", timeout=10)
    assert home.headers["Content-Type"] == "text/html; charset=utf-8"
    assert home.headers["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICIES["site"]
    assert home.headers["X-Frame-Options"] == "DENY" and home.headers["Referrer-Policy"] == "same-origin"
    admin = requests.get(stack.web + "/admin/login/", timeout=10)
    assert admin.headers["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICIES["admin"]  # once, Django's
    assert requests.get(stack.web + "/_protected_media/original_images/x.png", timeout=10).status_code == 404
    assert requests.get(stack.web + "/release.json", timeout=10).status_code == 404
    assert_checked_files_leave_through_nginx(stack)
    assert_login_lockout_is_shared_by_all_gunicorn_workers(stack)
    original = VERSION.sub("", requests.get(stack.web + EDITED, timeout=10).text)
    assert "</html>" in original

    problems, reads, seen = [], [0], set()
    done = threading.Event()

    def reader():
        session = requests.Session()
        while not done.is_set():
            for path in [EDITED, *OTHERS]:
                try:
                    response = session.get(stack.web + path, timeout=10)
                except requests.RequestException as error:
                    problems.append(f"{path}: {error}")
                    continue
                reads[0] += 1
                if response.status_code != 200:
                    problems.append(f"{path}: {response.status_code}")
                    continue
                text = response.content.decode("utf-8")
                if not text.rstrip().endswith("</html>"):
                    problems.append(f"{path}: truncated ({len(text)} bytes)")
                if path == EDITED:
                    versions = set(VERSION.findall(text))
                    if len(versions) > 1 or any(int(v) >= PUBLISHES for v in versions):
                        problems.append(f"{path}: versions {versions}")
                    seen.update(versions)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        publisher = stack.installation.manage("shell", "-c", PUBLISHER, timeout=400)
    finally:
        # Let the readers see the last builds go live too.
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and f"（第{PUBLISHES - 1}版）" not in requests.get(stack.web + EDITED, timeout=10).text
        ):
            time.sleep(0.1)
        done.set()
        for thread in threads:
            thread.join(30)
    assert publisher.stdout.count("published") == PUBLISHES
    health = requests.get(stack.web + "/api/health/", timeout=10)
    assert health.status_code == 200 and health.json()["workers_alive"] >= 1, health.text
    final = requests.get(stack.web + EDITED, timeout=10).text
    assert f"（第{PUBLISHES - 1}版）" in final, (
        stack.logs(),
        stack.installation.shell_json(
            "from cms.publishing.models import SiteBuild\n"
            "result = list(SiteBuild.objects.order_by('-id').values_list('status', 'release', 'error')[:5])"
        ),
    )
    assert problems == [], problems[:20]
    # The readers really watched the page change many times, through many releases.
    builds = stack.installation.shell_json(
        "from cms.publishing.models import SiteBuild\nresult = SiteBuild.objects.filter(status='succeeded').count()"
    )
    assert len(seen) >= 5 and builds >= 5, (len(seen), builds, reads[0])
    assert reads[0] >= 500
    assert_release_sync_of_operations_md_copies_the_live_site(stack)


def assert_release_sync_of_operations_md_copies_the_live_site(stack):
    """The rsync-then-link recipe of docs/operations.md, with a local destination."""
    text = OPERATIONS.read_text(encoding="utf-8")
    recipe = re.search(r"  ```\n  site=(.*?)  ```\n", text, re.S).group(0)
    lines = [line.strip() for line in recipe.splitlines()[1:-1]]
    web2 = stack.tmp / "web2" / "site"
    web2.mkdir(parents=True)
    lines[0] = f"site={stack.installation.var / 'site'}; dest={web2}"
    lines[2] = lines[2].replace('"$web:$dest/"', '"$dest/"')
    assert lines[3].startswith('ssh "$web" ')
    lines[3] = "bash -c " + lines[3][len('ssh "$web" ') :]  # the same quoting as through ssh
    subprocess.run(["bash", "-euc", "\n".join(lines)], check=True)
    assert (web2 / "current").is_symlink()
    assert html_files(web2 / "current") == html_files(stack.installation.current)
