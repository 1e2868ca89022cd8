"""Publish-to-live latency as an editor sees it. Usage:
    python bench/publish_latency.py 1000 [10000 ...] [--runs 20] [--restarts 3]

From the approval (the approved revision's ``publish()``, what 审核通过 calls) to the new text
served over HTTP by nginx with the product's own configuration (deploy/nginx.conf.template,
serving the live release), with the product's worker running with its default settings
(``manage.py worker``). For each N, on the site of that size (bench/common.generate_site:
the same generated pages as every benchmark; generated and built here when missing):

1. first publish after a worker start: the worker is started, left idle for 5 s (it warms
   up as it starts: imports, the search dictionary, the catalogue snapshot of the current
   release), then a new article is approved; repeated ``--restarts`` times, each restart
   when no publish happened for 7 s (as a deploy's restart comes; the worker has written
   its catalogue snapshot by then, and ``publish_site`` writes one for the first start);
2. spaced: ``--runs`` new articles, edits of their body text and unpublishes, each after
   the worker is idle (its queue empty and no build running);
3. back-to-back: the same, each as soon as the last is served.

Each article has a real body (~1,500 characters), an edit replaces a paragraph with a new
sentence and waits for that sentence on the page, an unpublish waits for the 404. Before
measuring, the queue that generating and building left is drained. Every figure is written
to bench/var/site-N/latency.json as soon as it is measured, so a crash keeps what was
measured.
It also reports what each publish adds to content/'s git history (`git count-objects`).
For each spaced publish it also says where the time went (PHASES: the approval, the wait
for the worker to start the task, export and commit, the build until the new text is
served), from the rows the worker writes; the worker's log has the build's own phases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, Vocabulary, article_body, article_text, generate_site, machine_info, setup_django

#: Give up on one publish after this long (a broken worker; the figure is then recorded as such).
TIMEOUT = 120.0
#: How often the harness asks the server (the figure's resolution).
POLL = 0.02
#: What the product's worker prints once it has started and warmed up (publishing.warm_up):
#: the first publish after a start comes right after it, and the time to it is a figure.
WORKER_READY = "后台任务进程已启动"


class Site:
    """nginx serving the live release as deployed (deploy/render_nginx.py), on its own port."""

    def __init__(self, var: Path):
        self.dir = var / "nginx"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {
            **os.environ,
            "VAR_DIR": str(var),
            "LISTEN": f"127.0.0.1:{self.port}",
            "APP_SERVER": "127.0.0.1:9",  # the public pages are files; nothing is proxied here
            "SERVER_NAME": "127.0.0.1",
        }
        site = subprocess.run(
            [sys.executable, str(ROOT / "deploy" / "render_nginx.py")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (self.dir / "site.conf").write_text(site, encoding="utf-8")
        user = "user root;" if os.geteuid() == 0 else ""
        temp = "\n".join(
            f"    {kind}_temp_path {self.dir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (self.dir / "nginx.conf").write_text(
            f"""daemon off;
{user}
worker_processes 1;
pid {self.dir / "nginx.pid"};
error_log {self.dir / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
{temp}
    include {self.dir / "site.conf"};
}}
""",
            encoding="utf-8",
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(
            [nginx, "-p", str(self.dir), "-e", str(self.dir / "error.log"), "-c", str(self.dir / "nginx.conf")],
            start_new_session=True,
        )
        self.connection = None
        deadline = time.monotonic() + 30
        while self.get("/")[0] != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx does not serve the site: {(self.dir / 'error.log').read_text()[-2000:]}")
            time.sleep(0.1)

    def get(self, path: str) -> tuple[int, str]:
        """One GET over a kept-alive connection, as a reader's browser asks."""
        for _ in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                self.connection.request("GET", path, headers={"Host": "127.0.0.1"})
                response = self.connection.getresponse()
                return response.status, response.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
        return 0, ""

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)


def until(predicate, what: str, timeout: float = TIMEOUT) -> float:
    """Seconds until ``predicate()`` holds, asking every POLL seconds."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not done after {timeout:.0f} s")
        time.sleep(POLL)
    return time.monotonic() - started


def worker_idle() -> bool:
    """Nothing queued or running, and neither the publishing lock nor the build lock held
    (pruning of old releases included)."""
    import fcntl

    from django.conf import settings
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
        return False
    for path in (Path(settings.VAR_DIR) / "publishing.lock", Path(settings.SITE_RELEASES_DIR) / ".build.lock"):
        if not path.exists():
            continue
        with open(path, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(handle, fcntl.LOCK_UN)
    return True


class Worker:
    """The product's worker with its default settings."""

    def __init__(self, var: Path):
        self.log = open(var / "worker.log", "a")
        self.log_path, self.log_start = var / "worker.log", self.log.tell()
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "worker"],
            # (INFO: the log says each build's phases, see PHASES)
            env={**os.environ, "PYTHONPATH": str(ROOT), "CMS_LOG_LEVEL": "INFO"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def ready(self) -> bool:
        """The worker said it started: its warm-up (renderer, dictionary, catalogue) is done."""
        with open(self.log_path, "rb") as log:
            log.seek(self.log_start)
            return WORKER_READY.encode() in log.read()

    def stop(self):
        """Terminate; a worker busy longer than a minute is killed (the numbers are kept)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def history_bytes() -> int:
    """What content/'s history takes on disk: loose objects and packs (`git count-objects`)."""
    from django.conf import settings

    counts = subprocess.run(
        ["git", "--git-dir", str(settings.CONTENT_GIT_DIR), "count-objects", "-v"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sizes = dict(line.split(": ") for line in counts.splitlines())
    return (int(sizes["size"]) + int(sizes["size-pack"])) * 1024


class Results:
    """Figures by kind, saved to disk as each comes in."""

    def __init__(self, path: Path, n: int):
        self.path, self.data = path, {"pages": n, "machine": machine_info(), "started": time.ctime(), "figures": {}}
        self.save()

    def add(self, kind: str, seconds: float, phases: dict[str, float] | None = None):
        self.data["figures"].setdefault(kind, []).append(round(seconds, 3))
        if phases is not None:
            self.data.setdefault("phases", {}).setdefault(kind, []).append(
                {name: round(value, 3) for name, value in phases.items()}
            )
        self.save()

    def save(self):
        self.data["load_average"] = os.getloadavg()
        self.path.write_text(json.dumps(self.data, ensure_ascii=False, indent=1), encoding="utf-8")


PHASES = ("approval", "to the worker", "export and commit", "build until served")


def phases(approval_started: float, approved: float, served: float) -> dict[str, float] | None:
    """Where one publish's seconds went (PHASES, adding up to its figure), from the rows the
    worker wrote: the publish task's start and the SiteBuild's start (wall clock, one
    machine). Also "finished after served": what the build did once the new release was
    live (pruning old releases; not part of the figure). Waits for that build to finish.
    None when no single build served it (a coalesced back-to-back burst)."""
    from django_tasks_db.models import DBTaskResult

    from cms.publishing.models import SiteBuild

    since = dt.datetime.fromtimestamp(approval_started, dt.UTC)
    builds = SiteBuild.objects.filter(started_at__gte=since)
    until(lambda: builds.exists() and not builds.filter(finished_at=None).exists(), "the build to finish")
    tasks = list(
        DBTaskResult.objects.filter(task_path__endswith=".publish_pending_changes", enqueued_at__gte=since)
        .exclude(started_at=None)
        .order_by("started_at")
    )
    if len(tasks) != 1 or len(builds) != 1:
        return None
    task_started, build = tasks[0].started_at.timestamp(), builds[0]
    return {
        "approval": approved - approval_started,
        "to the worker": task_started - approved,
        "export and commit": build.started_at.timestamp() - task_started,
        "build until served": served - build.started_at.timestamp(),
        "finished after served": build.finished_at.timestamp() - served,
    }


def prepare(n: int, reuse_release: bool = False) -> Path:
    var = ROOT / "bench" / "var" / f"site-{n}"
    setup_django(var)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"[{n}] generating the site (if missing) …", file=sys.stderr, flush=True)
    print(f"[{n}] {generate_site(n)}", file=sys.stderr, flush=True)
    if reuse_release:
        return var
    # As a deployment does (docs/operations.md): the whole site published once, the release
    # the worker then updates built by today's code and theme.
    print(f"[{n}] publishing it (manage.py publish_site, a full build) …", file=sys.stderr, flush=True)
    call_command("publish_site", verbosity=0)
    return var


def measure(n: int, runs: int, restarts: int, reuse_release: bool = False) -> dict:
    var = prepare(n, reuse_release)
    from django.db import transaction
    from wagtail.actions.unpublish_page import UnpublishPageAction

    from cms.accounts.models import User
    from cms.openness.models import NewsPage, SectionPage
    from cms.publishing.services import WARM_SNAPSHOT_SETTLED_SECONDS

    editor, _ = User.objects.get_or_create(username="bench-editor", defaults={"last_name": "王", "first_name": "编辑"})
    reviewer, _ = User.objects.get_or_create(
        username="bench-reviewer", defaults={"last_name": "李", "first_name": "审核"}
    )
    section = SectionPage.objects.get(slug="section-0")
    vocab = Vocabulary()
    results = Results(var / "latency.json", n)
    stamp = int(time.time())
    counter = iter(range(10**6))
    site = Site(var)
    worker = None

    def new_page():
        """A new article with a real body, submitted (its revision saved) and not yet approved."""
        number = next(counter)
        text = article_text(10**7 + number, random.Random(stamp + number), vocab)
        page = NewsPage(
            title=f"基准发布{stamp}-{number}：{text.title}",
            slug=f"bench-{stamp}-{number}",
            summary=text.paragraphs[0][:80],
            body=article_body(text),
            live=False,
        )
        with transaction.atomic():
            section.add_child(instance=page)
            revision = page.save_revision(user=editor)
        return page, revision, text

    def approve(revision):
        with transaction.atomic():  # the approval: its on-commit hook queues the publish
            revision.publish(user=reviewer, skip_permission_checks=True)

    def timed(kind: str, spaced: bool, act, served, what: str) -> None:
        """One figure: from `act()` (the approval) until `served()` holds, after the worker
        is idle when `spaced`, with where the time went (``phases``) when spaced."""
        if spaced:
            until(worker_idle, "the worker to be idle")
        started, wall = time.monotonic(), time.time()
        act()
        approved = wall + time.monotonic() - started
        until(served, what)
        seconds = time.monotonic() - started
        results.add(kind, seconds, phases(wall, approved, wall + seconds) if spaced else None)

    def publish_one(kind: str, spaced: bool):
        page, revision, text = new_page()
        marker = text.paragraphs[-1][:30]
        timed(
            kind,
            spaced,
            lambda: approve(revision),
            lambda: marker in site.get(page.url)[1],
            f"{page.url} to be served",
        )
        return page

    def edit_one(page, kind: str, spaced: bool):
        page = NewsPage.objects.get(pk=page.pk)
        sentence = f"修改{stamp}-{next(counter)}：本段内容已根据审核意见更新。"
        body = list(page.body.raw_data)
        body[0] = {**body[0], "value": f"<p>{sentence}</p>" + body[0]["value"]}
        page.body = body
        revision = page.save_revision(user=editor)
        timed(
            kind,
            spaced,
            lambda: approve(revision),
            lambda: sentence in site.get(page.url)[1],
            f"the edit of {page.url} to be served",
        )

    def unpublish_one(page, kind: str, spaced: bool):
        page = NewsPage.objects.get(pk=page.pk)
        url = page.url

        def unpublish():
            with transaction.atomic():  # as 取消发布 does, the reviewer's rights not checked here
                UnpublishPageAction(page, user=reviewer).execute(skip_permission_checks=True)

        timed(kind, spaced, unpublish, lambda: site.get(url)[0] == 404, f"{url} to be gone")

    try:
        for restart in range(restarts):
            worker = Worker(var)
            # An editor who publishes while the worker is still starting waits this long more.
            until(worker.ready, "the worker to start")
            results.add("worker start to ready", time.monotonic() - worker.started)
            # Not measured, and it grows with the site (at 100,000 pages more than TIMEOUT):
            # a second per 100 pages.
            until(worker_idle, "the queue left by generating and building to drain", max(TIMEOUT, n / 100))
            publish_one("publish, first after a worker start", spaced=True)
            if restart < restarts - 1:
                # A restart (a deploy, a crash) comes when no publish happened for a while:
                # the worker has written its catalogue to disk by then (services.keep_warm_state).
                time.sleep(WARM_SNAPSHOT_SETTLED_SECONDS + 2)
                worker.stop()
        until(worker_idle, "the worker to be idle")
        history_before = history_bytes()
        for spaced, mode in ((True, "spaced"), (False, "back-to-back")):
            until(worker_idle, "the worker to be idle")
            pages = [publish_one(f"publish, {mode}", spaced) for _ in range(runs)]
            for page in pages:
                edit_one(page, f"edit, {mode}", spaced)
            for page in pages:
                unpublish_one(page, f"unpublish, {mode}", spaced)
        until(worker_idle, "the worker to be idle")
        # Each publish, edit and unpublish is one commit of content/.
        results.data["content history per publish, KB"] = round(
            (history_bytes() - history_before) / (6 * runs) / 1e3, 1
        )
    finally:
        if worker is not None:
            worker.stop()
        site.stop()
        results.save()
    return results.data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--restarts", type=int, default=3, help="worker starts, each followed by one measured publish")
    parser.add_argument(
        "--reuse-release",
        action="store_true",
        help="keep the live release instead of publishing the whole site first: for a diagnosis, "
        "or right after `manage.py publish_site` at the same commit (bench/README.md says which "
        "figures were measured so)",
    )
    args = parser.parse_args()
    if len(args.sizes) > 1:  # each size in its own process: Django is set up once per database
        print(f"machine: {machine_info()}")
        for n in args.sizes:
            subprocess.run(
                [sys.executable, __file__, str(n), "--runs", str(args.runs), "--restarts", str(args.restarts)]
                + (["--reuse-release"] if args.reuse_release else []),
                check=True,
            )
        return
    n = args.sizes[0]
    load_before = os.getloadavg()
    data = measure(n, args.runs, args.restarts, args.reuse_release)
    load_after = os.getloadavg()
    print(
        f"[{n:,} pages] load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"(1 min); every figure: bench/var/site-{n}/latency.json"
    )
    for kind, values in data["figures"].items():
        print(
            f"{kind} at {n:,} pages: {statistics.median(values):.2f} s median, {max(values):.2f} s worst "
            f"(of {len(values)})"
        )
    for kind, rows in data.get("phases", {}).items():
        print(
            f"{kind} at {n:,} pages, median by phase ({len(rows)} of {len(data['figures'][kind])} "
            "served by one build): "
            + ", ".join(
                f"{name} {statistics.median(row[name] for row in rows):.3f} s"
                for name in (*PHASES, "finished after served")
            )
        )
    print(f"content history at {n:,} pages: {data.get('content history per publish, KB')} KB per publish")
    print(release_disk_use(n))


def release_disk_use(n: int) -> str:
    """What the kept releases cost on disk together, against the newest alone: shared
    directories and hard-linked files are counted once."""
    from django.conf import settings

    from build_scripts.release_tree import disk_usage
    from build_scripts.site_build import list_releases

    kept = list_releases(Path(settings.SITE_RELEASES_DIR))
    alone = disk_usage([kept[0].path])
    together = disk_usage([r.path for r in kept])
    extra = (together - alone) / max(len(kept) - 1, 1)
    return (
        f"disk {n:,} pages: {len(kept)} kept releases use {together / 1e6:.1f} MB, the newest alone "
        f"{alone / 1e6:.1f} MB, {extra / 1e6:.2f} MB per further release"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
