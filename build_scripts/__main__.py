"""Command line: build, list and switch site releases.

python -m build_scripts build --content content --releases var/site [--keep 5] [--progress]
python -m build_scripts releases --releases var/site
python -m build_scripts switch --releases var/site NAME
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .media_store import store_for
from .site_build import DEFAULT_SITE_DIR, BuildError, build_release, current_release, list_releases, switch_to


def _content_commit(content: Path, git_dir: Path | None) -> str | None:
    """HEAD of the content repository, if there is one, to name the release after."""
    if git_dir is None or not (git_dir / "HEAD").is_file():
        return None
    from .content_repo import ContentRepo

    return ContentRepo(content, git_dir).head()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m build_scripts", description="公开网站的构建与版本切换")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="构建新版本并切换为当前版本")
    build.add_argument("--content", type=Path, default=Path("content"), help="内容目录（默认 content）")
    build.add_argument("--releases", type=Path, default=Path("var/site"), help="版本目录（默认 var/site）")
    build.add_argument("--site", type=Path, default=DEFAULT_SITE_DIR, help="含 mkdocs.yml 的站点配置目录")
    build.add_argument(
        "--git-dir",
        type=Path,
        default=Path("var/content.git"),
        help="内容仓库的 git 目录：版本名中记录其提交号，视频、音频与文档从其媒体库（lfs 目录）链接",
    )
    build.add_argument("--commit", help="内容提交号（默认读取内容仓库的 HEAD）")
    build.add_argument("--keep", type=int, default=5, help="保留的版本数（默认 5）")
    build.add_argument("--progress", action="store_true", help="在标准错误输出显示进度")
    build.add_argument("--no-strict", dest="strict", action="store_false", help="警告不视为错误")
    build.add_argument(
        "--full", dest="incremental", action="store_false", help="全量构建（默认只渲染相对当前版本有变化的页面）"
    )

    releases = sub.add_parser("releases", help="列出已有版本")
    releases.add_argument("--releases", type=Path, default=Path("var/site"))

    switch = sub.add_parser("switch", help="切换到已有版本（回滚）")
    switch.add_argument("--releases", type=Path, default=Path("var/site"))
    switch.add_argument("name", help="版本名，见 releases 命令")

    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            commit = args.commit or _content_commit(args.content, args.git_dir)
            release = build_release(
                args.content,
                args.releases,
                site_dir=args.site,
                commit=commit,
                keep=args.keep,
                progress=args.progress,
                strict=args.strict,
                incremental=args.incremental,
                media_store=store_for(args.git_dir).root,
            )
            print(release.name)
        elif args.command == "releases":
            current = current_release(args.releases)
            found = list_releases(args.releases)
            if not found:
                print("（暂无版本）")
            for r in found:
                mark = "*" if current and r.name == current.name else " "
                print(
                    f"{mark} {r.name}  {r.time}  提交 {(r.commit or '-')[:12]}  {r.page_count} 页  {r.duration:.1f} 秒"
                )
        elif args.command == "switch":
            release = switch_to(args.releases, args.name)
            print(f"当前版本：{release.name}")
    except BuildError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
