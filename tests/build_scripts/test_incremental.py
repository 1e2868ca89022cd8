"""An incremental release must equal a full build of the same content, file by file, and
share every unchanged file with the previous release."""
import filecmp
import os
import shutil
from pathlib import Path

import pytest
import yaml
from content_samples import article_meta, write_sample_content

from build_scripts.site_build import RELEASE_JSON, build_release


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file() and p.name != RELEASE_JSON}


def _assert_identical(incremental: Path, full: Path) -> None:
    inc, ful = _files(incremental), _files(full)
    assert sorted(inc) == sorted(ful), (set(inc) ^ set(ful))
    different = [name for name in inc if not filecmp.cmp(inc[name], ful[name], shallow=False)]
    assert different == []


def _write_article(content: Path, path: str, page_id: int, title: str, date: str, **kwargs) -> None:
    meta = article_meta(page_id, title, path[:-3] + "/", date, **kwargs)
    target = content / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
                      + f"---\n\n{title}的正文。\n", encoding="utf-8")


def _edit_title(content: Path, path: str, title: str) -> None:
    file = content / path
    text = file.read_text(encoding="utf-8")
    old = yaml.safe_load(text.split("---\n")[1])["title"]
    file.write_text(text.replace(f"title: {old}", f"title: {title}", 1), encoding="utf-8")


STEPS = {
    "publish new article": lambda c: _write_article(c, "news/new-meeting.md", 900, "新召开的支部大会", "2026-11-27",
                                                    tags=["三会一课"]),
    "edit body only": lambda c: (c / "theory/two-studies.md").write_text(
        (c / "theory/two-studies.md").read_text(encoding="utf-8") + "\n补充一段学习体会。\n", encoding="utf-8"),
    "edit title shown in listings": lambda c: _edit_title(c, "news/democratic-review.md", "第二党支部召开民主评议会议"),
    "move article to another section": lambda c: shutil.move(c / "news/probationary-members.md",
                                                              c / "theory/probationary-members.md"),
    "unpublish article": lambda c: (c / "openness/dues-2026.md").unlink(),
    "rename section": lambda c: _edit_title(c, "theory/index.md", "理论武装"),
    "set banner": lambda c: (c / "_site.yml").write_text(
        (c / "_site.yml").read_text(encoding="utf-8").replace("关于近期网传信息的权威说明", "最新权威发布"),
        encoding="utf-8"),
}


@pytest.fixture
def content(tmp_path):
    return write_sample_content(tmp_path / "content", extra_news=45)


def test_incremental_releases_equal_full_builds(tmp_path, content):
    releases = tmp_path / "releases"
    build_release(content, releases, keep=3)
    for number, (step, change) in enumerate(STEPS.items()):
        change(content)
        incremental = build_release(content, releases, keep=3)
        assert incremental.incremental, step
        full = build_release(content, tmp_path / f"full-{number}", incremental=False)
        try:
            _assert_identical(incremental.path, full.path)
        except AssertionError as error:
            raise AssertionError(f"after step “{step}”: {error}") from error
        if step == "set banner":  # on every page: everything re-renders, as it must
            assert incremental.rendered == incremental.page_count


def test_unchanged_files_are_hard_links_and_only_affected_pages_render(tmp_path, content):
    releases = tmp_path / "releases"
    first = build_release(content, releases)
    STEPS["edit body only"](content)
    second = build_release(content, releases)

    # The edited article alone (its section listing shows only title/summary/date).
    assert second.rendered == 1
    unchanged = second.path / "news/democratic-review/index.html"
    assert os.stat(unchanged).st_ino == os.stat(first.path / "news/democratic-review/index.html").st_ino
    edited = second.path / "theory/two-studies/index.html"
    assert os.stat(edited).st_ino != os.stat(first.path / "theory/two-studies/index.html").st_ino
    assert "补充一段学习体会" in edited.read_text(encoding="utf-8")
    assert "补充一段学习体会" not in (first.path / "theory/two-studies/index.html").read_text(encoding="utf-8")


def test_listing_change_renders_the_listings_not_the_site(tmp_path, content):
    releases = tmp_path / "releases"
    build_release(content, releases)
    STEPS["publish new article"](content)
    release = build_release(content, releases)
    # The article, its section's listing pages, the home page and the tag pages it is on;
    # not the other articles.
    assert 1 < release.rendered < release.page_count / 3


def test_theme_change_forces_a_full_build(tmp_path, content):
    site = tmp_path / "site"
    shutil.copytree(Path(__file__).resolve().parents[2] / "site", site)
    releases = tmp_path / "releases"
    build_release(content, releases, site_dir=site)
    css = site / "overrides/assets/stylesheets/dangjian.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    release = build_release(content, releases, site_dir=site)
    assert not release.incremental
    assert "/* changed */" in (release.path / "assets/stylesheets/dangjian.css").read_text(encoding="utf-8")


def test_standby_clone_is_used_and_never_written_through(tmp_path, content):
    from build_scripts.site_build import prepare_standby

    releases = tmp_path / "releases"
    first = build_release(content, releases)
    prepare_standby(releases)
    assert (releases / f".standby-{first.name}").is_dir()
    before = (first.path / "theory/two-studies/index.html").read_bytes()
    STEPS["edit body only"](content)
    second = build_release(content, releases)
    assert not (releases / f".standby-{first.name}").exists()  # consumed
    assert (first.path / "theory/two-studies/index.html").read_bytes() == before
    assert (first.path / RELEASE_JSON).is_file()
    full = build_release(content, tmp_path / "full", incremental=False)
    _assert_identical(second.path, full.path)


SITE_PAGES = ["member/index.html", "member/course/index.html", "member/lesson/index.html", "help/index.html"]


def test_site_owned_pages_rerender_only_when_what_all_pages_share_changes(tmp_path, content):
    """The member area and help pages (site/pages/) carry build-state keys like content pages:
    an article edit leaves them shared with the previous release, a navigation change
    re-renders them, and either way the release equals a full build."""
    releases = tmp_path / "releases"
    first = build_release(content, releases)
    STEPS["edit body only"](content)
    second = build_release(content, releases)
    assert second.rendered == 1
    for page in SITE_PAGES:
        assert os.stat(second.path / page).st_ino == os.stat(first.path / page).st_ino, page
    shots = sorted(p.relative_to(first.path) for p in (first.path / "help/images").glob("*.png"))
    assert shots  # the help screenshots are copied once and then shared
    for shot in shots:
        assert os.stat(second.path / shot).st_ino == os.stat(first.path / shot).st_ino, shot

    STEPS["rename section"](content)  # the navigation (in every page) changes
    third = build_release(content, releases)
    assert third.incremental
    for page in SITE_PAGES:
        assert os.stat(third.path / page).st_ino != os.stat(second.path / page).st_ino, page
        assert "理论武装" in (third.path / page).read_text(encoding="utf-8"), page
    _assert_identical(third.path, build_release(content, tmp_path / "full", incremental=False).path)
