"""Publish-to-live latency: from the approval (the service call) to the page being served
from `current`, with the real worker process running. Usage:
    python bench/publish_latency.py 1000 [10000] [--runs 20]

Needs the site of that size (bench/full_build.py creates it; this script generates and
builds it if missing). For each N: 20 new pages published, 20 edits, 20 unpublishes;
median and worst of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, generate_site, machine_info, setup_django

TIMEOUT = 60.0


def wait_for(predicate, timeout: float = TIMEOUT) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise TimeoutError("page did not reach the public site in time")
        time.sleep(0.01)
    return time.monotonic() - started


def worker_idle() -> bool:
    """The worker holds neither the publishing lock nor the build lock (it has finished the
    last publish, pruning of old releases included)."""
    import fcntl

    from django.conf import settings

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


def incremental_ready() -> bool:
    """The current release was built with today's site/ and state format."""
    from django.conf import settings

    from build_scripts.site_build import _load_build_state, current_release, theme_signature

    current = current_release(Path(settings.SITE_RELEASES_DIR))
    return (
        current is not None and _load_build_state(current, theme_signature(Path(settings.SITE_SOURCE_DIR))) is not None
    )


def served(path: str) -> Path:
    from django.conf import settings

    return Path(settings.SITE_RELEASES_DIR) / "current" / path / "index.html"


def measure(n: int, runs: int, spaced: bool) -> dict[str, list[float]]:
    var = ROOT / "bench" / "var" / f"site-{n}"
    setup_django(var)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    from cms.accounts.models import User
    from cms.openness.models import NewsPage, SectionPage
    from cms.publishing import services, tasks
    from cms.publishing.models import ContentChange

    call_command("migrate", verbosity=0)
    if NewsPage.objects.count() < n:
        generate_site(n)
    if not (Path(settings.SITE_RELEASES_DIR) / "current").exists():
        tasks.record_change(ContentChange.Action.REBUILD)
        services.publish_pending_changes(force_build=True)
    elif not incremental_ready():
        # site/ changed since the last build: the next build is a full one. Do it here, so
        # the worker's (unmeasured) warm-up publish is an ordinary one.
        print(f"[{n}] 主题或构建状态格式已变化，先全量构建 …", file=sys.stderr, flush=True)
        services.build_site(services.content_repo().head(), ["基准测试：全量构建"])
    editor, _ = User.objects.get_or_create(username="bench-editor", defaults={"last_name": "王", "first_name": "编辑"})
    reviewer, _ = User.objects.get_or_create(
        username="bench-reviewer", defaults={"last_name": "李", "first_name": "审核"}
    )
    section = SectionPage.objects.get(slug="section-0")

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(var / "worker.log", "w")
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "worker", "--interval", "0.05"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    results: dict[str, list[float]] = {"publish": [], "edit": [], "unpublish": []}
    try:
        time.sleep(3)  # let the worker import Django and warm up
        stamp = int(time.time())
        pages = []
        for i in range(-1, runs):  # run -1 warms the worker up (first build loads MkDocs) and is not counted
            page = NewsPage(
                title=f"基准发布{stamp}-{i}", slug=f"bench-{stamp}-{i}", summary="基准", body=[], live=False
            )
            with transaction.atomic():
                section.add_child(instance=page)
                revision = page.save_revision(user=editor)
            if spaced:
                wait_for(worker_idle)
            started = time.monotonic()
            with transaction.atomic():  # the approval: the on-commit hook queues the build
                revision.publish(user=reviewer, skip_permission_checks=True)
            wait_for(lambda: served(page.url.strip("/")).exists())
            if i >= 0:
                results["publish"].append(time.monotonic() - started)
                pages.append(page)
        for i, page in enumerate(pages):
            page.refresh_from_db()
            page.title = f"基准修改{stamp}-{i}"
            if spaced:
                wait_for(worker_idle)
            started = time.monotonic()
            with transaction.atomic():
                page.save_revision(user=editor).publish(user=reviewer, skip_permission_checks=True)
            wait_for(lambda: page.title in served(page.url.strip("/")).read_text(encoding="utf-8"))
            results["edit"].append(time.monotonic() - started)
        for page in pages:
            page.refresh_from_db()
            path = page.url.strip("/")
            if spaced:
                wait_for(worker_idle)
            started = time.monotonic()
            with transaction.atomic():
                page.unpublish()
            wait_for(lambda: not served(path).exists())
            results["unpublish"].append(time.monotonic() - started)
    finally:
        worker.terminate()
        worker.wait(timeout=300)
        log.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--back-to-back",
        dest="spaced",
        action="store_false",
        help="publish the next page as soon as the last is live, without waiting "
        "for the worker to finish the previous publish (pruning of old releases)",
    )
    args = parser.parse_args()
    if len(args.sizes) > 1:
        print(f"machine: {machine_info()}")
        for n in args.sizes:
            subprocess.run(
                [sys.executable, __file__, str(n), "--runs", str(args.runs)]
                + ([] if args.spaced else ["--back-to-back"]),
                check=True,
            )
        return
    n = args.sizes[0]
    results = measure(n, args.runs, args.spaced)
    mode = "spaced" if args.spaced else "back-to-back"
    for action, label in (("publish", "publish"), ("edit", "edit"), ("unpublish", "unpublish")):
        values = results[action]
        print(
            f"{label}-to-live {n:,} pages: {statistics.median(values):.2f} s (median), "
            f"{max(values):.2f} s (worst of {len(values)}, {mode})"
        )
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
