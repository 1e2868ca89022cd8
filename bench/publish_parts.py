"""Three parts of a publish whose cost grew with the site, each against what it replaced, in
one run (bench/README.md, publish_latency). Usage:

    python bench/publish_parts.py 10000 [100000 ...] [--runs 15]

On the sites bench/publish_latency.py made (bench/var/site-N, published; nothing here is
generated):

1. commit: one article and its section index committed by ``ContentRepo.commit_all(paths=…)``
   (trees written from HEAD's, the index updated afterwards) against the plumbing it replaced
   (``git update-index`` + ``git write-tree`` + ``commit-tree`` + ``update-ref``), each on its
   own copy of the site's content repository;
2. file creation: 500 files of 8 KB in 20 new directories below the release pool
   (``.objects/``), with and without ext4's top-of-hierarchies flag on the pool
   (``release_tree.spread_subdirectories``; the pool's flag is put back as it was);
3. a postings file with one list changed: ``_PostingsFile`` against decoding and encoding
   the whole file, on 300 of the current release's postings files.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import ROOT

from build_scripts.content_repo import ContentRepo
from build_scripts.release_tree import (
    OBJECTS_DIR,
    _FS_TOPDIR_FL,
    directory_flags,
    set_directory_flags,
)
from build_scripts.search_index import _PostingsFile, _dumps


def _copy_repo(site: Path, into: Path) -> ContentRepo:
    subprocess.run(["cp", "-a", str(site / "content.git"), str(into / "git")], check=True)
    subprocess.run(["cp", "-a", str(site / "content"), str(into / "work")], check=True)
    subprocess.run(["git", f"--git-dir={into / 'git'}", "config", "core.worktree", str(into / "work")], check=True)
    return ContentRepo(into / "work", into / "git")


def _plumbing_commit(repo: ContentRepo, paths: list[str], message: str) -> None:
    """What a publish's commit was before 0bbce05: stage the named paths, commit the index."""
    env = {**os.environ, **repo._env()}
    subprocess.run(
        ["git", "update-index", "--add", "--remove", "-z", "--stdin"],
        input="\0".join(paths).encode() + b"\0",
        env=env,
        cwd=repo.work_tree,
        check=True,
    )
    tree = repo.git.write_tree()
    parent = repo.head()
    sha = repo.git.commit_tree(tree, "-p", parent, "--no-gpg-sign", "-m", message).strip()
    repo.git.update_ref("HEAD", sha, parent)


def commits(site: Path, runs: int) -> dict[str, float]:
    results = {}
    for kind in ("plumbing (before)", "trees, index afterwards (ours)"):
        with tempfile.TemporaryDirectory(dir=site) as scratch:
            repo = _copy_repo(site, Path(scratch))
            section = max(sorted(repo.work_tree.glob("section-*")), key=lambda p: len(list(p.glob("article-*.md"))))
            articles = sorted(p.name for p in section.glob("article-*.md"))
            times = []
            for i in range(runs):
                path = f"{section.name}/{articles[i]}"
                with open(repo.work_tree / path, "a", encoding="utf-8") as out:
                    out.write(f"\n修改 {i}\n")
                paths = [path, f"{section.name}/index.md"]
                started = time.perf_counter()
                if kind.startswith("plumbing"):
                    _plumbing_commit(repo, paths, f"修改 {i}")
                else:
                    repo.commit_all(f"修改 {i}", "基准", "bench@localhost", paths=paths)
                times.append(time.perf_counter() - started)
                repo.wait_for_index()  # (outside the timer: it runs while the site is built)
            results[kind] = statistics.median(times)
    return results


def _set_topdir(directory: Path, on: bool) -> bool:
    """Set or clear the pool's top-of-hierarchies flag; whether it was set before."""
    flags = directory_flags(directory)
    if flags is None:
        raise SystemExit(f"{directory}: the file system has no inode flags (not ext4?)")
    set_directory_flags(directory, flags | _FS_TOPDIR_FL if on else flags & ~_FS_TOPDIR_FL)
    return bool(flags & _FS_TOPDIR_FL)


def file_creation(site: Path, rounds: int = 3) -> dict[str, float]:
    pool = site / "site" / OBJECTS_DIR
    data = b"x" * 8000
    was = _set_topdir(pool, True)
    results: dict[str, list[float]] = {"without the flag (before)": [], "with the flag (ours)": []}
    try:
        for _ in range(rounds):
            for kind in results:
                _set_topdir(pool, kind.startswith("with the"))
                base = pool / f".bench-{os.getpid()}"
                base.mkdir()
                started = time.perf_counter()
                for d in range(20):
                    (base / str(d)).mkdir()
                    for i in range(25):
                        with open(base / str(d) / f"{i}.json", "xb") as out:
                            out.write(data)
                results[kind].append((time.perf_counter() - started) / 500)
                shutil.rmtree(base)
    finally:
        _set_topdir(pool, was)
    return {kind: statistics.median(values) for kind, values in results.items()}


def postings_files(site: Path, sample: int = 300, rounds: int = 3) -> dict[str, float]:
    current = (site / "site" / "current").resolve()
    files = sorted(str(path) for path in (current / "search" / "p").glob("*/*.json"))
    datas = [Path(name).read_bytes() for name in random.Random(1).sample(files, min(sample, len(files)))]
    terms = [next(iter(json.loads(data))) for data in datas]
    best = {"whole file (before)": float("inf"), "in place (ours)": float("inf")}
    for _ in range(rounds):
        started = time.perf_counter()
        for data, term in zip(datas, terms, strict=True):
            whole = json.loads(data)
            whole[term] = whole[term]
            _dumps(whole)
        best["whole file (before)"] = min(best["whole file (before)"], (time.perf_counter() - started) / len(datas))
        started = time.perf_counter()
        for data, term in zip(datas, terms, strict=True):
            postings = _PostingsFile(data)
            postings[term] = postings.get(term)
            postings.dumps()
        best["in place (ours)"] = min(best["in place (ours)"], (time.perf_counter() - started) / len(datas))
    print(f"  postings files: {sum(map(len, datas)) / len(datas) / 1024:.1f} KB on average", flush=True)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    for size in args.sizes:
        site = ROOT / "bench" / "var" / f"site-{size}"
        if not (site / "site" / "current").exists():
            raise SystemExit(f"{site}: no published site; run bench/publish_latency.py {size} first")
        print(f"[{size} pages] load average {os.getloadavg()[0]:.2f}", flush=True)
        for part, figures in (
            ("commit, median", commits(site, args.runs)),
            ("file creation below .objects/, median per file", file_creation(site)),
            ("postings file with one list changed, best of 3 per file", postings_files(site)),
        ):
            print(f"  {part}: " + ", ".join(f"{kind} {value * 1e3:.3f} ms" for kind, value in figures.items()))
        print(f"[{size} pages] load average after {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
