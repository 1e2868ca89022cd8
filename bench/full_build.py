"""Full build: our pipeline against plain `mkdocs build` of the same content/ with the same
theme, in one run. Usage: python bench/full_build.py 1000 [10000 ...] [--baseline-timeout 600]

For each N: generates N realistic pages in an isolated CMS database (bench/var/site-N),
exports them to content/, then times (wall clock, peak memory of the build process, output
size counting hard links once):
  ours      python -m build_scripts build (mkdocs-material + hooks/mkdocs_adapter.py, full build)
  baseline  plain mkdocs-material as a fair engineer would configure it for this site: the
            same sections-only navigation as ours (the home page and each top section; the
            articles are built without being listed in every page's navigation), built-in
            jieba search on, the same theme, language and content
  hugo      Hugo (Debian's package: apt-get install hugo) with minimal layouts of the same
            shape (a page, a list, the sections as navigation, tag pages), on a copy of the
            same content/ (a section's index.md renamed _index.md, as Hugo wants it; the
            copy is made before the timer starts)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, generate_site, machine_info, setup_django, tree_pss_mb, tree_size_mb

BASELINE_CONFIG = """site_name: 基准
docs_dir: {content}
site_dir: {out}
use_directory_urls: true
exclude_docs: |
  README.md
  _site.yml
theme:
  name: material
  language: zh
  font: false
plugins:
  - search:
      lang: zh
markdown_extensions: [attr_list, md_in_html, tables, toc]
validation:
  omitted_files: ignore
{nav}"""


HUGO_CONFIG = """baseURL = "/"
languageCode = "zh-cn"
defaultContentLanguage = "zh"
hasCJKLanguage = true
title = "基准"
disableKinds = ["sitemap", "robotsTXT"]
[taxonomies]
tag = "tags"
[markup.goldmark.renderer]
unsafe = true
"""
HUGO_BASEOF = """<!doctype html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ .Title }} - {{ .Site.Title }}</title></head>
<body><nav><a href="/">首页</a>{{ range .Site.Sections }} <a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
<main>{{ block "main" . }}{{ end }}</main></body></html>
"""
HUGO_SINGLE = """{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Date.Format "2006-01-02" }}
{{ range .Params.tags }}<a href="{{ "/tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a> {{ end }}</p>
{{ .Content }}</article>{{ end }}
"""
HUGO_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}<ul>
{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>{{ end }}
</ul>{{ end }}
"""


def hugo_site(content: Path, directory: Path) -> Path:
    """A Hugo site of the same content: config, minimal layouts, content/ copied with each
    section's index.md as _index.md, and the media as static files."""
    (directory / "layouts" / "_default").mkdir(parents=True)
    (directory / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in (("baseof", HUGO_BASEOF), ("single", HUGO_SINGLE), ("list", HUGO_LIST)):
        (directory / "layouts" / "_default" / f"{name}.html").write_text(text, encoding="utf-8")
    for source in content.rglob("*.md"):
        relative = source.relative_to(content)
        if relative.parts[0] == "assets" or relative.name == "README.md":
            continue
        target = directory / "content" / relative
        if relative.name == "index.md":
            target = target.with_name("_index.md")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    if (content / "assets").is_dir():
        shutil.copytree(content / "assets", directory / "static" / "assets")
    return directory


def sections_nav(content: Path) -> str:
    """The ``nav`` of our site: the home page and the top sections, titled as in content/."""

    def title(index: Path) -> str:
        for line in index.read_text(encoding="utf-8").splitlines()[1:]:
            if line.startswith("title:"):
                return line.split(":", 1)[1].strip().strip("'\"")
            if line == "---":
                break
        return index.parent.name

    entries = ["nav:", "  - 首页: index.md"]
    for index in sorted(content.glob("*/index.md")):
        entries.append(f"  - {json.dumps(title(index), ensure_ascii=False)}: {index.parent.name}/index.md")
    return "\n".join(entries) + "\n"


def run_measured(cmd: list[str], timeout: float | None, env=None) -> dict:
    """Run cmd in a child process: wall time, peak RSS of its largest process, peak memory of
    all its processes together (sampled every 0.2 s: ``tree_pss_mb``), and whether it
    finished."""
    started = time.monotonic()
    script = (
        "import resource, subprocess, sys, json; "
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
        "sys.stderr.write(p.stderr[-2000:]); "
        "print(json.dumps({'rc': p.returncode, 'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    tree_peak = 0.0
    while process.poll() is None:  # the child prints only when it ends: its pipes do not fill
        tree_peak = max(tree_peak, tree_pss_mb(process.pid))
        if timeout is not None and time.monotonic() - started > timeout:
            os.killpg(process.pid, signal.SIGKILL)  # the build runs in a grandchild: stop the group
            process.communicate()
            return {"seconds": round(time.monotonic() - started, 1), "finished": False}
        time.sleep(0.2)
    stdout, stderr = process.communicate()
    out = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        print(out.stderr, file=sys.stderr)
    return {
        "seconds": round(time.monotonic() - started, 1),
        "finished": result["rc"] == 0,
        "peak_mb": round(result["rss"] / 1024),
        "tree_peak_mb": round(tree_peak),
    }


def prepare(n: int) -> Path:
    var = ROOT / "bench" / "var" / f"site-{n}"
    setup_django(var)
    from django.core.management import call_command

    from cms.publishing.exporter import Exporter
    from cms.publishing.services import SYSTEM_AUTHOR, content_repo

    call_command("migrate", verbosity=0)
    print(f"[{n}] 生成页面 …", file=sys.stderr, flush=True)
    print(f"[{n}] {generate_site(n)}", file=sys.stderr)
    started = time.monotonic()
    Exporter().sync(None)
    content_repo().commit_all("基准测试内容\n", *SYSTEM_AUTHOR)
    print(f"[{n}] 导出到 content/：{time.monotonic() - started:.1f} 秒", file=sys.stderr)
    return var


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--baseline-timeout", type=float, default=600)
    args = parser.parse_args()
    print(f"machine: {machine_info()}")
    for n in args.sizes:
        # Each size in its own process: Django is set up once per database.
        if len(args.sizes) > 1:
            subprocess.run(
                [sys.executable, __file__, str(n), "--baseline-timeout", str(args.baseline_timeout)], check=True
            )
            continue
        var = prepare(n)
        from django.conf import settings

        content = var / "content"
        with tempfile.TemporaryDirectory(dir=var) as scratch:
            scratch = Path(scratch)
            ours = run_measured(
                [
                    sys.executable,
                    "-m",
                    "build_scripts",
                    "build",
                    "--content",
                    str(content),
                    "--releases",
                    str(scratch / "ours"),
                    "--git-dir",  # its media store: the videos and documents content/ points to
                    str(settings.CONTENT_GIT_DIR),
                    "--full",
                ],
                timeout=None,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            if not ours["finished"]:
                raise SystemExit(f"our full build of {n:,} pages failed (see above): nothing to compare")
            ours["output_mb"] = round(tree_size_mb(scratch / "ours"), 1)
            config = scratch / "baseline.yml"
            config.write_text(
                BASELINE_CONFIG.format(content=content, out=scratch / "baseline", nav=sections_nav(content)),
                encoding="utf-8",
            )
            base = run_measured(
                [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)], timeout=args.baseline_timeout
            )
            if (scratch / "baseline").exists():
                base["output_mb"] = round(tree_size_mb(scratch / "baseline"), 1)
            hugo = {"finished": False, "seconds": 0.0}
            if shutil.which("hugo"):
                site = hugo_site(content, scratch / "hugo-site")
                hugo = run_measured(
                    ["hugo", "--quiet", "-s", str(site), "-d", str(scratch / "hugo")], timeout=args.baseline_timeout
                )
                if (scratch / "hugo").exists():
                    hugo["output_mb"] = round(tree_size_mb(scratch / "hugo"), 1)
        ratio = (
            f"ours {base['seconds'] / ours['seconds']:.2f}x as fast as the baseline (target: 3x)"
            if base["finished"]
            else f"baseline stopped after {base['seconds']:.0f} s"
        )
        plain = f"{base['seconds']} s" if base["finished"] else f">{base['seconds']:.0f} s (stopped)"
        print(
            f"full build {n:,} pages: ours {ours['seconds']} s, peak {ours['peak_mb']} MB (all its processes "
            f"together {ours['tree_peak_mb']} MB), output {ours['output_mb']} MB | plain mkdocs {plain}, "
            f"peak {base.get('peak_mb', '?')} MB (together {base.get('tree_peak_mb', '?')} MB), "
            f"output {base.get('output_mb', '?')} MB | {ratio}"
        )
        if hugo["finished"]:
            print(
                f"  hugo {n:,} pages: {hugo['seconds']} s, peak {hugo['peak_mb']} MB, output {hugo['output_mb']} MB | "
                f"ours takes {ours['seconds'] / hugo['seconds']:.1f}x Hugo's time"
            )
        else:
            print(f"  hugo {n:,} pages: not measured (install Debian's hugo, or it failed: see above)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
