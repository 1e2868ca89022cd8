"""Does the full build scale? Time per page and memory of all its processes together, for
sites of several sizes built one right after the other. Usage:

    python bench/build_scaling.py 10000 100000

For each N, builds bench/var/site-N/content (made by publish_latency.py or full_build.py of
that size, with the one generator) in full into a scratch directory, as the deploy step does
(``python -m build_scripts build --full`` with the site's media store), and reports:

* the wall time and the time per page (listing pages included), with the time until the
  Markdown of every page was read and converted, until the last page was written, and the
  search index after it (from the build's progress lines);
* the peak memory of the build and every process it forked together: the sum of their
  proportional set sizes, sampled every 0.5 s (``common.tree_pss_mb``).

Issue 15's targets: 100,000 pages within 1.3x the 10,000-page time per page, and under 2 GB
for all processes together.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

from common import ROOT, machine_info, tree_pss_mb

PAGES = re.compile(r"(\d+) 个页面（本次渲染")
SEARCH = re.compile(r"搜索索引：full.*?([\d.]+) 秒")


def build(n: int) -> dict:
    var = ROOT / "bench" / "var" / f"site-{n}"
    if not (var / "content" / "index.md").is_file():
        raise SystemExit(f"no site of {n:,} pages: make it with `python bench/full_build.py {n}` first")
    with tempfile.TemporaryDirectory(dir=var) as scratch:
        command = [
            sys.executable,
            "-m",
            "build_scripts",
            "build",
            "--content",
            str(var / "content"),
            "--git-dir",
            str(var / "content.git"),
            "--releases",
            scratch,
            "--full",
            "--progress",
        ]
        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
        )
        moments: dict[str, float] = {}
        lines: list[str] = []

        def read() -> None:  # the progress lines, each with when it came
            for line in process.stderr:
                lines.append(line)
                if "Markdown 解析完成" in line:
                    moments["converted"] = time.monotonic() - started
                elif "写出 RSS" in line:
                    moments["rendered"] = time.monotonic() - started

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, tree_pss_mb(process.pid))
            time.sleep(0.5)
        reader.join()
        seconds = time.monotonic() - started
    if process.returncode != 0:
        sys.stderr.write("".join(lines[-20:]))
        raise SystemExit(f"the full build of {n:,} pages failed")
    text = "".join(lines)
    pages = int(PAGES.findall(text)[-1])
    search = SEARCH.findall(text)
    return {
        "n": n,
        "pages": pages,
        "seconds": seconds,
        "per_page_ms": seconds / pages * 1000,
        "converted": moments.get("converted"),
        "rendered": moments.get("rendered"),
        "search": float(search[-1]) if search else None,
        "peak_mb": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="+", type=int)
    args = parser.parse_args()
    print(f"machine: {machine_info()}")
    results = []
    for n in args.sizes:
        load = os.getloadavg()[0]
        result = build(n)
        results.append(result)
        converted, rendered = result["converted"] or 0.0, result["rendered"] or 0.0
        print(
            f"{n:,} pages ({result['pages']:,} with listings): {result['seconds']:.1f} s, "
            f"{result['per_page_ms']:.2f} ms a page (Markdown read and converted after {converted:.1f} s, "
            f"pages written after {rendered:.1f} s, search index {result['search']} s after them); "
            f"peak memory of all its processes together {result['peak_mb']:,.0f} MB; "
            f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after",
            flush=True,
        )
    base = results[0]
    for result in results[1:]:
        ratio = result["per_page_ms"] / base["per_page_ms"]
        print(
            f"time per page, {result['n']:,} / {base['n']:,}: {ratio:.2f}x (target ≤ 1.3x: "
            f"{'met' if ratio <= 1.3 else 'NOT met'}); peak memory {result['peak_mb']:,.0f} MB (target < 2,048 MB: "
            f"{'met' if result['peak_mb'] < 2048 else 'NOT met'})"
        )


if __name__ == "__main__":
    main()
