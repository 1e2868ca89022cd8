"""Byte-identical check for refactors of the build engine: build fixed content with the
code of this checkout and compare the output file by file with a build kept from before.

    python bench/compare_builds.py prepare DIR [--pages 1000]   content/ of the demo site and
                                                               of a generated N-page site,
                                                               each exported by the CMS into
                                                               DIR/var-<name>/content
    python bench/compare_builds.py build DIR OUT                full build of each content
                                                               into OUT/<name>/ (a releases dir)
    python bench/compare_builds.py compare BEFORE AFTER         file-by-file comparison of
                                                               the current releases
    python bench/compare_builds.py check DIR BEFORE             build into a temporary
                                                               directory, then compare

The content is prepared once and reused, so both builds see the very same bytes. Files
that legitimately differ between two builds of the same content are left out of the byte
comparison (they must still exist on both sides):

- ``release.json``: the release's build time and duration;
- ``.build-state/meta.json``: the theme signature, a hash of the files of ``site/`` and
  of the engine modules the renderer uses, so renaming or editing a hook changes it (that
  is its job: it forces the next build to be a full one);
- in the other ``.build-state/*.json`` shards, the output keys: each hashes what the
  output is rendered from, the theme signature included. These shards are compared as
  JSON without their ``key`` values (same sources, same outputs, same parsed front matter).

Everything else (every page, asset, sitemap shard, feed and search shard) must be
byte-identical. Exit status 1 on any difference.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Relative paths whose bytes may differ between two builds of the same content (see above).
VOLATILE = {"release.json", ".build-state/meta.json"}
KEYED = ".build-state/"  # JSON shards compared without their output keys


def _same(rel: str, left: Path, right: Path) -> bool:
    if rel in VOLATILE:
        return True
    if rel.startswith(KEYED) and rel.endswith(".json"):
        return _without_keys(left) == _without_keys(right)
    return filecmp.cmp(left, right, shallow=False)


def _without_keys(path: Path) -> dict:
    import json

    records = json.loads(path.read_bytes())
    for record in records.values():
        record.pop("key", None)
    return records


def _prepare_one(var: Path, pages: int | None) -> None:
    """In a child process (Django is set up once per database): fill a CMS database with
    the demo site or `pages` generated articles, export it and commit content/."""
    sys.path.insert(0, str(ROOT / "bench"))
    from common import generate_site, setup_django

    setup_django(var)
    from django.core.management import call_command

    from cms.publishing.exporter import Exporter
    from cms.publishing.services import SYSTEM_AUTHOR, content_repo

    call_command("migrate", verbosity=0)
    if pages is None:
        call_command("setup_roles", verbosity=0)
        call_command("load_demo", verbosity=0)
    else:
        generate_site(pages)
    Exporter().sync(None)
    content_repo().commit_all("对比构建的内容\n", *SYSTEM_AUTHOR)


def prepare(directory: Path, pages: int) -> None:
    for name, count in (("demo", None), (f"site-{pages}", pages)):
        var = directory / f"var-{name}"
        if (var / "content" / "index.md").is_file():
            print(f"{name}: content already prepared in {var}", file=sys.stderr)
            continue
        args = [sys.executable, __file__, "_prepare_one", str(var)] + ([] if count is None else [str(count)])
        subprocess.run(args, check=True)
        print(f"{name}: content prepared in {var / 'content'}", file=sys.stderr)


def contents(directory: Path) -> dict[str, Path]:
    found = {
        p.name.removeprefix("var-"): p / "content"
        for p in sorted(directory.glob("var-*"))
        if (p / "content" / "index.md").is_file()
    }
    if not found:
        raise SystemExit(f"no prepared content in {directory} (run: prepare {directory})")
    return found


def build(directory: Path, out: Path) -> None:
    """A full build of each prepared content with this checkout's engine, in a child
    process like the worker's command line."""
    for name, content in contents(directory).items():
        releases = out / name
        subprocess.run(
            [
                sys.executable,
                "-m",
                "build_scripts",
                "build",
                "--full",
                "--content",
                str(content),
                "--releases",
                str(releases),
                "--git-dir",
                str(content.parent / "content.git"),
            ],
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
        )


def _files(release: Path) -> dict[str, Path]:
    from build_scripts.release_tree import walk_files

    return dict(walk_files(release))


def compare(before: Path, after: Path) -> int:
    """Number of differences between the current releases of every site in both dirs."""
    problems = 0
    names = sorted({p.name for p in before.iterdir() if p.is_dir()} | {p.name for p in after.iterdir() if p.is_dir()})
    for name in names:
        a, b = before / name / "current", after / name / "current"
        if not a.exists() or not b.exists():
            print(f"{name}: missing on one side ({a.exists()=}, {b.exists()=})")
            problems += 1
            continue
        left, right = _files(a), _files(b)
        only_before, only_after = sorted(left.keys() - right.keys()), sorted(right.keys() - left.keys())
        differ = sorted(rel for rel in left.keys() & right.keys() if not _same(rel, left[rel], right[rel]))
        for label, rels in (("only before", only_before), ("only after", only_after), ("differs", differ)):
            for rel in rels[:20]:
                print(f"{name}: {label}: {rel}")
            if len(rels) > 20:
                print(f"{name}: {label}: … {len(rels) - 20} more")
        count = len(only_before) + len(only_after) + len(differ)
        problems += count
        both = left.keys() & right.keys()
        keyed = sum(1 for rel in both if rel.startswith(KEYED) and rel not in VOLATILE)
        exact = len(both) - keyed - len(VOLATILE & both)
        print(
            f"{name}: {len(left)} files before, {len(right)} after: {exact} compared byte for byte, "
            f"{keyed} build-state shards without keys, {len(VOLATILE & both)} not compared "
            f"({', '.join(sorted(VOLATILE))}); {count} differences"
        )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("dir", type=Path)
    p.add_argument("--pages", type=int, default=1000)
    p = sub.add_parser("_prepare_one")
    p.add_argument("var", type=Path)
    p.add_argument("pages", type=int, nargs="?")
    p = sub.add_parser("build")
    p.add_argument("dir", type=Path)
    p.add_argument("out", type=Path)
    p = sub.add_parser("compare")
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    p = sub.add_parser("check")
    p.add_argument("dir", type=Path)
    p.add_argument("before", type=Path)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.dir.resolve(), args.pages)
    elif args.command == "_prepare_one":
        _prepare_one(args.var.resolve(), args.pages)
    elif args.command == "build":
        build(args.dir.resolve(), args.out.resolve())
    elif args.command == "compare":
        return 1 if compare(args.before, args.after) else 0
    elif args.command == "check":
        with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
            build(args.dir.resolve(), Path(scratch))
            return 1 if compare(args.before, Path(scratch)) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
