"""Media in the content history (issue 15): what 100 publishes of a page carrying a 50 MB
党课 recording, replaced 20 times, leave on disk, and what a publish that carries a new
recording costs, against what the exporter did before the media store, in the same run.

Ours: the product as deployed by default (SQLite, ``cms.settings.dev``, content/ and its git
directory, releases with the default 5 kept), on a generated site of ``--pages`` articles
(bench/common.generate_site). One news page carries the recording as an attachment. Each of
``--publishes`` publishes is an editor's change published through the publishing pipeline
(``publishing.services.publish_pending_changes``: export, commit, incremental build, the
worker's step): every ``publishes / replacements``-th replaces the recording with a new one
(a new Wagtail document, ``--size-mb`` MB of random bytes, as incompressible as H.264), the
others edit the page's text. Then an administrator purges the recordings no page uses
(``publishing.services.purge_media``), as the 媒体文件库 page does.

Before (the baseline): the exporter copied each recording into content/assets/media/ and
committed it. Emulated on a plain git repository with the product's own ContentRepo (same
commit path, ``git add`` of the changed files): the same sequence of files and text edits,
the recording copied from the Wagtail media folder as the old exporter did. Its releases are
not built (they would add one copy of each recording kept in a release: the old build copied
assets into the release).

Reported: the content repository's git directory (history) without and with the media
store, the store, the releases (every inode once, so hard links are paid for once), all of
them together, and the median / worst time of a publish carrying a new recording vs one
editing text only; for the baseline, its git directory and the commit of a recording.

    .venv/bin/python bench/media_history.py [--publishes 100] [--replacements 20]
        [--size-mb 50] [--pages 200] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, generate_site, machine_info, setup_django, tree_size_mb  # noqa: E402

VAR = ROOT / "bench" / "var" / "media_history"


def _mb(path: Path) -> float:
    return tree_size_mb(path) if path.exists() else 0.0


def _git_dir_mb(git_dir: Path) -> float:
    """The history alone: the git directory without the media store inside it (lfs/)."""
    return sum(_mb(entry) for entry in git_dir.iterdir() if entry.name != "lfs")


def _recording(number: int, size_mb: int) -> bytes:
    return f"ftypmp42 党课录像 {number}\n".encode() + os.urandom(size_mb * 1024 * 1024)


def run(args) -> dict:
    shutil.rmtree(VAR, ignore_errors=True)
    setup_django(VAR)
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from wagtail.documents import get_document_model
    from wagtail.models import Collection
    from wagtail.rich_text import RichText

    from build_scripts.content_repo import ContentRepo
    from build_scripts.release_tree import disk_usage
    from cms.accounts.models import User
    from cms.accounts.roles import ADMINISTRATOR
    from cms.openness.models import NewsPage, SectionPage
    from cms.publishing import selectors, services

    call_command("migrate", verbosity=0)
    print(f"site: {generate_site(args.pages)}", file=sys.stderr, flush=True)
    call_command("publish_site", verbosity=0)
    Document = get_document_model()
    section = SectionPage.objects.live().first()

    def body(text: str, document) -> list:
        return [("paragraph", RichText(f"<p>{text}</p>")), ("attachment", {"document": document, "title": "党课录像"})]

    def new_document(number: int):
        document = Document(title=f"专题党课录像（第{number}版）", collection=Collection.get_first_root_node())
        document.file.save(f"lecture-{number}.mp4", ContentFile(_recording(number, args.size_mb)), save=False)
        document.save()
        return document

    every = max(1, args.publishes // args.replacements)
    document = new_document(1)
    page = section.add_child(
        instance=NewsPage(title="专题党课", slug="lecture-recording", body=body("第 0 次修改。", document))
    )
    page.save_revision().publish()
    services.publish_pending_changes(force_build=True)
    history = [(True, document.file.path, "第 0 次修改。")]
    timings: dict[bool, list[float]] = {True: [], False: []}
    for number in range(1, args.publishes + 1):
        carries = number % every == 0
        if carries:
            document = new_document(number // every + 1)
        text = f"第 {number} 次修改：补充学习要求。"
        page.body = body(text, document)
        page.save_revision().publish()
        started = time.perf_counter()
        build = services.publish_pending_changes(force_build=True)
        timings[carries].append(time.perf_counter() - started)
        assert build is not None and build.status == build.Status.SUCCEEDED, build and build.error
        history.append((carries, document.file.path, text))
        if number % 10 == 0:
            print(f"  {number} publishes", file=sys.stderr, flush=True)

    git_dir, releases = Path(settings.CONTENT_GIT_DIR), Path(settings.SITE_RELEASES_DIR)
    store = git_dir / "lfs"
    ours = {
        "history_mb": _git_dir_mb(git_dir),
        "store_mb": _mb(store),
        "releases_mb": _mb(releases),
        "together_mb": disk_usage([git_dir, releases]) / 1024 / 1024,
        "objects": len(list((store / "objects").rglob("*/*/*"))) if store.exists() else 0,
    }
    admin = User.objects.create_user("bench-admin", password=None)
    admin.groups.add(*Group.objects.filter(name=ADMINISTRATOR))
    unused = [row for row in selectors.stored_media() if not row.in_use]
    started = time.perf_counter()
    for row in unused:
        services.purge_media(row.oid, user=admin)
    purge_seconds = time.perf_counter() - started
    ours_after = {
        "history_mb": _git_dir_mb(git_dir),
        "store_mb": _mb(store),
        "releases_mb": _mb(releases),
        "together_mb": disk_usage([git_dir, releases]) / 1024 / 1024,
        "purged": len(unused),
        "purge_seconds": purge_seconds,
    }

    # The baseline: the same files committed into a plain content repository.
    base_work, base_git = VAR / "before" / "content", VAR / "before" / "content.git"
    shutil.copytree(settings.CONTENT_DIR, base_work, ignore=shutil.ignore_patterns("media"))
    repo = ContentRepo.open_or_init(base_work, base_git)
    repo.commit_all("基准：初始内容\n", "bench", "bench@example.invalid")
    page_md = next(base_work.rglob("lecture-recording.md"))
    media_dir = base_work / "assets" / "media"
    base_timings: dict[bool, list[float]] = {True: [], False: []}
    current = None
    for number, (carries, source, text) in enumerate(history):
        started = time.perf_counter()
        touched = [str(page_md.relative_to(base_work))]
        if current != source:
            media_dir.mkdir(parents=True, exist_ok=True)
            for old in media_dir.glob("lecture-*"):
                old.unlink()
                touched.append(str(old.relative_to(base_work)))
            target = media_dir / f"lecture-{number}.mp4"
            shutil.copyfile(source, target)  # what the old exporter's _copy_asset did
            touched.append(str(target.relative_to(base_work)))
            current = source
        page_md.write_text(page_md.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")
        repo.commit_all(f"基准：第 {number} 次发布\n", "bench", "bench@example.invalid", paths=touched)
        if number:
            base_timings[carries].append(time.perf_counter() - started)
    before = {"history_mb": _mb(base_git)}
    started = time.perf_counter()
    subprocess.run(["git", "--git-dir", str(base_git), "gc", "--quiet"], check=True)
    before["gc_seconds"] = time.perf_counter() - started
    before["history_after_gc_mb"] = _mb(base_git)
    return {
        "ours": ours,
        "ours_after_purge": ours_after,
        "before": before,
        "publish_with_recording": timings[True],
        "publish_text_only": timings[False],
        "before_commit_with_recording": base_timings[True],
        "before_commit_text_only": base_timings[False],
    }


def _stats(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s, worst {max(values):.2f} s (n = {len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--publishes", type=int, default=100)
    parser.add_argument("--replacements", type=int, default=20)
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep bench/var/media_history afterwards")
    args = parser.parse_args()
    load_before = os.getloadavg()
    started = time.monotonic()
    result = run(args)
    load_after = os.getloadavg()
    ours, after, before = result["ours"], result["ours_after_purge"], result["before"]
    print(f"machine: {machine_info()}")
    print(
        f"load average before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
        f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}; {time.monotonic() - started:.0f} s"
    )
    print(
        f"{args.publishes} publishes, the {args.size_mb} MB recording replaced {args.replacements} times, "
        f"a site of {args.pages} articles"
    )
    print("| | history (git dir) | media store | releases | all together (every inode once) |")
    print("|---|---|---|---|---|")
    print(
        f"| ours, after the publishes | {ours['history_mb']:.1f} MB | {ours['store_mb']:.0f} MB ({ours['objects']} objects) "
        f"| {ours['releases_mb']:.0f} MB | {ours['together_mb']:.0f} MB |"
    )
    print(
        f"| ours, after purging {after['purged']} unused recordings ({after['purge_seconds']:.1f} s) "
        f"| {after['history_mb']:.1f} MB | {after['store_mb']:.0f} MB | {after['releases_mb']:.0f} MB "
        f"| {after['together_mb']:.0f} MB |"
    )
    print(f"| before (recordings committed) | {before['history_mb']:.0f} MB | — | (not built) | — |")
    print(
        f"| before, after git gc ({before['gc_seconds']:.1f} s) | {before['history_after_gc_mb']:.0f} MB | — | — | — |"
    )
    print(f"publish carrying a new recording (export, commit, build): {_stats(result['publish_with_recording'])}")
    print(f"publish editing text only: {_stats(result['publish_text_only'])}")
    print(
        f"before: commit carrying a recording (copy + git add + commit only): "
        f"{_stats(result['before_commit_with_recording'])}"
    )
    print(f"before: commit editing text only: {_stats(result['before_commit_text_only'])}")
    if not args.keep:
        shutil.rmtree(VAR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
