"""Where a publish spends its time: cProfile of the worker's publish step, in-process.

    python bench/profile_publish.py 10000 [--runs 3] [--action publish|edit|unpublish] [--top 40]

Uses the site of bench/full_build.py / publish_latency.py (bench/var/site-N; builds the first
release if there is none). Each run publishes (or edits, unpublishes) one page and runs
services.publish_pending_changes() like the worker does, after one unmeasured warm-up run,
so the numbers are those of a warm worker (``--cold``: no warm-up, the first run profiled, as
the first publish after a worker start). Prints wall time per run and the profile of the
last run (cumulative time), which counts calls rather than relying on noisy wall clocks
(``--top 0``: no profile, the wall times alone, as they are without the profiler's overhead).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import random
import sys
import time
from pathlib import Path

from common import ROOT, Vocabulary, article_body, article_text, generate_site, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("size", type=int)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--action", choices=["publish", "edit", "unpublish"], default="publish")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no warm-up run: the first run is the first publish of a process (as after a worker start)",
    )
    parser.add_argument(
        "--worker-start",
        action="store_true",
        help="with --cold: first warm up as the worker does when it starts (services.warm_up)",
    )
    parser.add_argument(
        "--empty-body",
        action="store_true",
        help="publish pages without a body instead of the realistic ~1,500-character one "
        "that publish_latency publishes (the generator's): the search update then indexes "
        "only the title, which hides most of its cost (bench/README.md, publish_latency)",
    )
    parser.add_argument("--body", action="store_true", help="(the default; kept for earlier commands)")
    args = parser.parse_args()
    setup_django(ROOT / "bench" / "var" / f"site-{args.size}")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    from cms.accounts.models import User
    from cms.openness.models import NewsPage, SectionPage
    from cms.publishing import services, tasks
    from cms.publishing.models import ContentChange

    call_command("migrate", verbosity=0)
    generate_site(args.size)  # adds only what is missing
    if not (Path(settings.SITE_RELEASES_DIR) / "current").exists():
        tasks.record_change(ContentChange.Action.REBUILD)
        services.publish_pending_changes(force_build=True)
    editor, _ = User.objects.get_or_create(username="bench-editor", defaults={"last_name": "王", "first_name": "编辑"})
    section = SectionPage.objects.get(slug="section-0")
    stamp = int(time.time())

    rng = random.Random(stamp)
    vocab = None if args.empty_body else Vocabulary()

    def body(i: int):
        return [] if args.empty_body else article_body(article_text(90000 + i, rng, vocab))

    def prepare(i: int):
        """The page to act on, made ready outside the measurement (as the bench does)."""
        if args.action == "publish":
            page = NewsPage(
                title=f"剖析发布{stamp}-{i}", slug=f"profile-{stamp}-{i}", summary="剖析", body=body(i), live=False
            )
            with transaction.atomic():
                section.add_child(instance=page)
                revision = page.save_revision(user=editor)
            return lambda: revision.publish(user=editor, skip_permission_checks=True)
        page = NewsPage(
            title=f"剖析发布{stamp}-{i}", slug=f"profile-{stamp}-{i}", summary="剖析", body=body(i), live=False
        )
        with transaction.atomic():
            section.add_child(instance=page)
            page.save_revision(user=editor).publish(user=editor, skip_permission_checks=True)
        services.publish_pending_changes()
        page.refresh_from_db()
        if args.action == "edit":
            page.title = f"剖析修改{stamp}-{i}"
            return lambda: page.save_revision(user=editor).publish(user=editor, skip_permission_checks=True)
        return page.unpublish

    if args.worker_start:
        started = time.monotonic()
        services.warm_up()
        print(
            f"worker warm-up: {time.monotonic() - started:.3f} s, gc counts {gc.get_count()}, frozen {gc.get_freeze_count()}",
            flush=True,
        )
    if not args.cold:
        prepare(-1)()
        services.publish_pending_changes()  # warm-up: imports, MkDocs, jieba, caches
    profile = cProfile.Profile()
    from build_scripts.site_build import LAST_TIMINGS

    # Time in the cyclic garbage collector by generation: what a profile does not show
    # (a collection runs inside whatever call allocated last).
    collecting: dict[str, float] = {}
    collected: dict[int, list[float]] = {}

    def on_collection(phase, info):
        if phase == "start":
            collecting["since"] = time.perf_counter()
        elif "since" in collecting:
            times = collected.setdefault(info["generation"], [0, 0.0])
            times[0] += 1
            times[1] += time.perf_counter() - collecting.pop("since")

    gc.callbacks.append(on_collection)

    for i in range(args.runs):
        act = prepare(i)
        last = i == (0 if args.cold else args.runs - 1) and args.top > 0  # --top 0: no profile
        if last:
            profile.enable()
        collected.clear()
        started = time.monotonic()
        with transaction.atomic():  # the approval (its on-commit hook queues the task)
            act()
        approved = time.monotonic()
        build = services.publish_pending_changes()
        done = time.monotonic()
        if last:
            profile.disable()
        print(
            f"run {i}: approval {approved - started:.3f} s + publish step {done - approved:.3f} s "
            f"({build.status if build else 'nothing'}, release {build.release if build else '-'}; "
            f"build phases, cumulative: {LAST_TIMINGS}; garbage collector by generation: "
            + (", ".join(f"gen{g} {n}x {t:.3f} s" for g, (n, t) in sorted(collected.items())) or "none")
            + ")",
            flush=True,
        )
    # As the worker does once idle: the catalogue of the last release goes to disk, so the
    # next --worker-start run loads it (else its first build derives it: ~10 s at 100,000).
    services.keep_warm_state(settled=0)
    if args.top == 0:
        return
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
