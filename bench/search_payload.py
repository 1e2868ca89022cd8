"""Benchmark of the site search (build_scripts/search_index.py + dj-search.js).

For each size (default 1,000 and 10,000 pages) it writes a synthetic site of realistic
Chinese article pages (~1,500 characters each: party-work paragraphs mixed with ordinary
vocabulary drawn from jieba's dictionary by frequency, names, numbers and dates) straight
as rendered HTML — the same article markup the real theme produces — next to a real
release of the sample content (so pages carry the real header, search box and JS), then

* builds the full index (time, files, bytes on disk),
* updates it incrementally after editing 1 page and after adding 10 pages (time, files
  rewritten), and checks the result is byte-identical to a full build,
* measures what a first query downloads: with the reference client for many queries, and
  in chromium (Playwright) for a few: every request after page load, bytes transferred.

    .venv/bin/python bench/search_payload.py [--sizes 1000 10000] [--no-browser] [--readme]

With --readme the results replace the "search_payload" section of bench/README.md.
"""

from __future__ import annotations

import argparse
import filecmp
import functools
import html
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests" / "build_scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from common import Vocabulary, article_text  # noqa: E402

from build_scripts import search_index  # noqa: E402
from build_scripts.release_tree import walk_files  # noqa: E402
from build_scripts.search_index import build_search_index, query, update_search_index  # noqa: E402

QUERIES = [
    "三会一课",
    "党费",
    "主题党日",
    "民主评议党员",
    "发展对象公示",
    "党风廉政建设",
    "数字化转型",
    "安全生产",
    "入党积极分子培养",
    "理论学习中心组",
    "志愿服务",
    "组织生活会",
    "第一党支部",
    "党课",
    "两学一做",
    "高质量发展",
    "党建",
    "2026年",
    "张伟",
    "学习贯彻党的二十大精神",
]
BROWSER_QUERIES = ["三会一课", "党费", "主题党日", "学习贯彻党的二十大精神"]


def article_html(index: int, rng: random.Random, vocab: Vocabulary, template: tuple[str, str]) -> tuple[str, str]:
    """A built article page: the release's own page around the generated article."""
    text = article_text(index, rng, vocab)
    title, unit, day, tags = text.title, text.unit, text.day, text.tags
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in text.paragraphs)
    date_cn = f"{int(day[:4])}年{int(day[5:7])}月{int(day[8:])}日"
    article = f"""<article class="md-content__inner md-typeset">
<nav class="dj-breadcrumbs" aria-label="当前位置"><ol><li><a href="../../">首页</a></li></ol></nav>
<h1>{html.escape(title)}</h1>
<p class="dj-meta">
  <time datetime="{day}">{date_cn}</time>
  <span class="dj-meta__unit"><span class="dj-meta__key">发布单位：</span>{unit}</span>
</p>
<ul class="dj-tags" aria-label="标签">{"".join(f'<li><a class="dj-tag" href="#">{t}</a></li>' for t in tags)}</ul>
{body}
</article>"""
    head, tail = template
    return title, head + article + tail


def real_release(work: Path) -> Path:
    """A real release of the sample content: header, search box, assets, JS."""
    from content_samples import write_sample_content

    from build_scripts.site_build import build_release

    content = write_sample_content(work / "content")
    return build_release(content, work / "releases", incremental=False).path


def page_template(release: Path) -> tuple[str, str]:
    page = (release / "theory" / "openness-guide" / "index.html").read_text(encoding="utf-8")
    start = page.index('<article class="md-content__inner')
    end = page.rindex("</article>") + len("</article>")
    return page[:start], page[end:]


def write_site(site: Path, n: int, seed: int = 7) -> float:
    started = time.monotonic()
    rng = random.Random(seed)
    vocab = Vocabulary()
    template = page_template(site)
    for index in range(n):
        _, page = article_html(index, rng, vocab, template)
        target = site / "bench" / f"s{index % 20}" / f"a{index}" / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
    return time.monotonic() - started


def link_copy(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, copy_function=os.link)


# walk_files: a release's directories may be shared ones (symlinks), which rglob skips.
def files_differ(a: Path, b: Path) -> list[str]:
    names_a = {rel for rel, _ in walk_files(a)}
    names_b = {rel for rel, _ in walk_files(b)}
    diff = sorted(names_a ^ names_b)
    diff += [n for n in sorted(names_a & names_b) if not filecmp.cmp(a / n, b / n, shallow=False)]
    return diff


def rewritten(prev: Path, new: Path) -> int:
    count = 0
    for rel, p in walk_files(new):
        q = prev / rel
        if not q.exists() or q.stat().st_ino != p.stat().st_ino:
            count += 1
    return count


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for _rel, p in walk_files(path))


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def browser_measure(site: Path, queries: list[str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    out = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-background-networking"]
            )
            for text in queries:
                context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
                page = context.new_page()
                requests = []
                page.on("requestfinished", lambda r: requests.append(r))
                page.goto(base + "/news/", wait_until="networkidle")
                on_load = len(requests)
                page.click("label.md-header__button[for=__search]")
                page.locator("#dj-search-input").press_sequentially(text, delay=20)
                page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=30000)
                page.wait_for_load_state("networkidle")
                after = requests[on_load:]
                total = 0
                for r in after:
                    sizes = r.sizes()
                    total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
                first = page.locator(".md-search-result__item h1").first.inner_text()
                out.append(
                    {
                        "query": text,
                        "requests": len(after),
                        "bytes": total,
                        "first": first,
                        "search_on_load": [
                            r.url for r in requests[:on_load] if "/search/" in r.url or "dj-search" in r.url
                        ],
                    }
                )
                context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return out


def bench_size(n: int, work: Path, template_release: Path, browser: bool) -> dict:
    site = work / f"site-{n}"
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(template_release, site)
    shutil.rmtree(site / "search", ignore_errors=True)
    gen = write_site(site, n)
    search_index.tokenizer()  # the build worker keeps jieba warm
    full = build_search_index(site)
    result = {
        "pages": n,
        "generate_s": round(gen, 1),
        "full_s": full.seconds,
        "docs": full.documents,
        "files": sum(1 for _ in walk_files(site / "search")),
        "index_mb": round(dir_bytes(site / "search") / 1e6, 1),
        "public_mb": round(sum(dir_bytes(site / "search" / d) for d in ("p", "v", "d")) / 1e6, 1),
    }
    shards = sorted(p.stat().st_size for _rel, p in walk_files(site / "search" / "p"))
    result["p_shard_kb_median_max"] = (round(shards[len(shards) // 2] / 1024, 1), round(shards[-1] / 1024, 1))

    # Incremental: edit one page, then add ten, each into a new hard-linked release.
    rng = random.Random(99)
    vocab = Vocabulary()
    template = page_template(site)
    prev = site
    steps = {
        "edit 1 page": ["bench/s3/a3/index.html"],
        "add 10 pages": [f"bench/new/n{i}/index.html" for i in range(10)],
    }
    for step, rels in steps.items():
        new = work / f"site-{n}-{step.replace(' ', '-')}"
        if new.exists():
            shutil.rmtree(new)
        link_copy(prev, new)
        for i, rel in enumerate(rels):
            _, page = article_html(100000 + i, rng, vocab, template)
            target = new / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_text(page, encoding="utf-8")
            os.replace(tmp, target)
        stats = update_search_index(new, prev, rels, [])
        result[f"{step}: s"] = stats.seconds
        result[f"{step}: files rewritten"] = rewritten(prev / "search", new / "search")
        prev = new
    check = work / f"site-{n}-check"
    if check.exists():
        shutil.rmtree(check)
    link_copy(prev, check)
    shutil.rmtree(check / "search")
    build_search_index(check)
    result["incremental == full"] = files_differ(prev / "search", check / "search") == []
    shutil.rmtree(check)

    per_query = [query(prev / "search", q) for q in QUERIES]
    sizes = sorted(r["bytes"] for r in per_query)
    result["reference client first-query KB median/max"] = (
        round(sizes[len(sizes) // 2] / 1024, 1),
        round(sizes[-1] / 1024, 1),
    )
    result["reference client files median/max"] = (
        sorted(len(r["files"]) for r in per_query)[len(per_query) // 2],
        max(len(r["files"]) for r in per_query),
    )
    if browser:
        result["browser"] = browser_measure(prev, BROWSER_QUERIES)
    for step in steps:
        shutil.rmtree(work / f"site-{n}-{step.replace(' ', '-')}")
    return result


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()[1].split()[1]
    return f"nproc {os.cpu_count()}, {cpu}, {mem} RAM, Python {platform.python_version()}"


def report(results: list[dict]) -> str:
    lines = [
        "## search_payload",
        "",
        "Site search: static sharded index (`build_scripts/search_index.py`) and `dj-search.js`.",
        "",
        f"Machine: {machine()}. Command: `.venv/bin/python bench/search_payload.py --readme`",
        "",
        "Synthetic article pages (~1,500 characters: party-work paragraphs, ordinary words sampled "
        "by frequency from jieba's dictionary, names, numbers), written as rendered HTML next to a real "
        "release of the sample content. Times exclude loading jieba (the worker keeps it warm).",
        "",
        "| | " + " | ".join(f"{r['pages']:,} pages" for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    keys = [k for k in results[0] if k not in ("pages", "browser")]
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(str(r.get(key)) for r in results) + " |")
    for r in results:
        if "browser" in r:
            lines += [
                "",
                f"Chromium, {r['pages']:,} pages, 375 px: everything requested after page load "
                "until the results show (search JS + index files; headers included; no gzip):",
                "",
                "| query | requests | bytes | first result | search requests on page load |",
                "|---|---|---|---|---|",
            ]
            for b in r["browser"]:
                lines.append(
                    f"| {b['query']} | {b['requests']} | {b['bytes']:,} | {b['first']} | {len(b['search_on_load'])} |"
                )
    return "\n".join(lines) + "\n"


def write_readme(section: str) -> None:
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    start = text.find("## search_payload")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    readme.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--work", default=str(ROOT / "bench" / "var" / "search"))
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--readme", action="store_true")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    template = real_release(work / "sample")
    results = []
    for n in args.sizes:
        print(f"== {n} pages", file=sys.stderr, flush=True)
        results.append(bench_size(n, work, template, browser=not args.no_browser))
        print(results[-1], file=sys.stderr, flush=True)
    section = report(results)
    print(section)
    if args.readme:
        write_readme(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
