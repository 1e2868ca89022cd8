"""An incremental release must equal a full build of the same content, file by file, and
share every unchanged file with the previous release."""

import filecmp
import os
import shutil
from pathlib import Path

import pytest
import yaml
from content_samples import article_meta, write_sample_content

from build_scripts.release_tree import walk_files
from build_scripts.search_index import state_lists
from build_scripts.site_build import RELEASE_JSON, build_release

# The search index's state: the same lists, laid out as base + journal by updates.
_SEARCH_STATE = ("search/s/", "search/b/")


def _files(root: Path) -> dict[str, Path]:
    # Through the directories a release shares with others (rglob would stop at them).
    return {rel: path for rel, path in walk_files(root) if rel != RELEASE_JSON and not rel.startswith(_SEARCH_STATE)}


def _assert_identical(incremental: Path, full: Path) -> None:
    inc, ful = _files(incremental), _files(full)
    assert sorted(inc) == sorted(ful), set(inc) ^ set(ful)
    different = [name for name in inc if not filecmp.cmp(inc[name], ful[name], shallow=False)]
    assert different == []
    assert state_lists(incremental / "search") == state_lists(full / "search")


def _step_built_incrementally(content: Path, releases: Path, step: str, full: Path):
    """Apply ``step`` to content/, build incrementally: the release equals a full build (in
    ``full``)."""
    STEPS[step](content)
    release = build_release(content, releases)
    assert release.incremental, step
    _assert_identical(release.path, build_release(content, full, incremental=False).path)
    return release


def _write_article(content: Path, path: str, page_id: int, title: str, date: str, **kwargs) -> None:
    meta = article_meta(page_id, title, path[:-3] + "/", date, **kwargs)
    target = content / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + f"---\n\n{title}的正文。\n",
        encoding="utf-8",
    )


def _edit_title(content: Path, path: str, title: str) -> None:
    file = content / path
    text = file.read_text(encoding="utf-8")
    old = yaml.safe_load(text.split("---\n")[1])["title"]
    file.write_text(text.replace(f"title: {old}", f"title: {title}", 1), encoding="utf-8")


STEPS = {
    "publish new article": lambda c: _write_article(
        c, "news/new-meeting.md", 900, "新召开的支部大会", "2026-11-27", tags=["三会一课"]
    ),
    "edit body only": lambda c: (c / "theory/two-studies.md").write_text(
        (c / "theory/two-studies.md").read_text(encoding="utf-8") + "\n补充一段学习体会。\n", encoding="utf-8"
    ),
    "edit title shown in listings": lambda c: _edit_title(c, "news/democratic-review.md", "第二党支部召开民主评议会议"),
    "move article to another section": lambda c: shutil.move(
        c / "news/probationary-members.md", c / "theory/probationary-members.md"
    ),
    "unpublish article": lambda c: (c / "openness/dues-2026.md").unlink(),
    "rename section": lambda c: _edit_title(c, "theory/index.md", "理论武装"),
    "set banner": lambda c: (c / "_site.yml").write_text(
        (c / "_site.yml").read_text(encoding="utf-8").replace("关于近期网传信息的权威说明", "最新权威发布"),
        encoding="utf-8",
    ),
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


def test_a_static_file_added_to_the_theme_is_in_the_next_build_of_the_same_process(tmp_path, content):
    # A process lists the theme's static files once per theme signature (mkdocs_adapter).
    site = tmp_path / "site"
    shutil.copytree(Path(__file__).resolve().parents[2] / "site", site)
    releases = tmp_path / "releases"
    build_release(content, releases, site_dir=site)
    (site / "overrides/assets/javascripts/added.js").write_text("// added\n", encoding="utf-8")
    release = build_release(content, releases, site_dir=site)
    assert (release.path / "assets/javascripts/added.js").read_text(encoding="utf-8") == "// added\n"


def _snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {rel: (os.stat(path).st_ino, path.read_bytes()) for rel, path in walk_files(root)}


def test_releases_share_unchanged_directories_and_never_write_through(tmp_path, content):
    releases = tmp_path / "releases"
    first = build_release(content, releases)
    before = _snapshot(first.path)
    STEPS["edit body only"](content)
    second = build_release(content, releases)

    # The previous release (still served, and a rollback target) is exactly as it was.
    assert _snapshot(first.path) == before
    # Untouched sections are the very same directory; the edited one is a private copy
    # whose other entries are shared.
    assert os.path.realpath(second.path / "news") == os.path.realpath(first.path / "news")
    assert os.path.realpath(second.path / "theory") != os.path.realpath(first.path / "theory")
    assert os.path.realpath(second.path / "theory/openness-guide") == os.path.realpath(
        first.path / "theory/openness-guide"
    )
    full = build_release(content, tmp_path / "full", incremental=False)
    _assert_identical(second.path, full.path)


# --------------------------------------------------------------------------- how the previous state is known


def test_without_the_process_cache_the_state_is_read_from_the_release(tmp_path, content):
    """A restarted worker (or the command line) reads .build-state/ of the current release."""
    from build_scripts.site_build import forget_warm_state

    releases = tmp_path / "releases"
    build_release(content, releases)
    for number, step in enumerate(["publish new article", "edit title shown in listings", "unpublish article"]):
        forget_warm_state()
        incremental = _step_built_incrementally(content, releases, step, tmp_path / f"full-{number}")
        assert 0 < incremental.rendered < incremental.page_count / 2, step


def test_changed_paths_are_trusted_only_for_the_release_they_were_computed_for(tmp_path, content):
    from build_scripts.site_build import current_release, switch_to

    releases = tmp_path / "releases"
    first = build_release(content, releases)
    STEPS["edit body only"](content)
    # The caller says what changed since `first`: only that file is looked at.
    second = build_release(content, releases, changed_paths=["theory/two-studies.md"], changed_since=first.name)
    assert second.rendered == 1
    # Told nothing changed, an incremental build renders nothing (it trusts the list) …
    STEPS["edit title shown in listings"](content)
    third = build_release(content, releases, changed_paths=[], changed_since=second.name)
    assert third.rendered == 0
    # … but a list computed for another release than the current one is ignored: after a
    # switch back to `first`, every source is compared with what `first` was built from.
    switch_to(releases, first.name)
    fourth = build_release(content, releases, changed_paths=[], changed_since=third.name)
    assert current_release(releases).name == fourth.name and fourth.rendered > 1
    _assert_identical(fourth.path, build_release(content, tmp_path / "full", incremental=False).path)


def test_switching_back_then_building_equals_a_full_build(tmp_path, content):
    """The process cache describes the release it built; after a rollback switch the next
    build starts from the older release's own state."""
    from build_scripts.site_build import switch_to

    releases = tmp_path / "releases"
    first = build_release(content, releases)
    STEPS["publish new article"](content)
    build_release(content, releases)
    switch_to(releases, first.name)
    _step_built_incrementally(content, releases, "edit body only", tmp_path / "full")


# --------------------------------------------------------------------------- crashes and pruning


def test_a_build_that_fails_half_way_leaves_the_live_release_and_nothing_else(tmp_path, content, monkeypatch):
    from build_scripts import site_build
    from build_scripts.release_tree import OBJECTS_DIR
    from build_scripts.site_build import BuildError, current_release

    releases = tmp_path / "releases"
    first = build_release(content, releases)
    live = _files(first.path)
    snapshot = {rel: path.read_bytes() for rel, path in live.items()}
    STEPS["publish new article"](content)

    def crash(*args, **kwargs):
        raise OSError("磁盘已满")

    # After MkDocs rendered and the new tree was assembled: the worst moment.
    monkeypatch.setattr(site_build, "update_search_index", crash)
    with pytest.raises(BuildError, match="磁盘已满"):
        build_release(content, releases)
    assert current_release(releases).name == first.name
    assert {rel: path.read_bytes() for rel, path in _files(first.path).items()} == snapshot
    pools = {p.name for p in (releases / OBJECTS_DIR).iterdir()}
    assert pools == {first.name}  # the failed build's directories are gone
    assert {p.name for p in releases.iterdir() if not p.name.startswith(".")} == {"current", first.name}
    monkeypatch.undo()
    # The failed build's in-memory state was dropped: the retry still equals a full build.
    retry = build_release(content, releases)
    _assert_identical(retry.path, build_release(content, tmp_path / "full", incremental=False).path)


def test_leftovers_of_a_killed_build_are_removed_by_the_next_one(tmp_path, content):
    from build_scripts.release_tree import OBJECTS_DIR, ReleaseWriter

    releases = tmp_path / "releases"
    first = build_release(content, releases)
    # What `kill -9` during assembly leaves: a root without release.json, its objects, a
    # scratch directory.
    killed = "20000101T000000.000Z-killed1"
    tree = ReleaseWriter(releases, killed, base=first.path, skip=("release.json",))
    tree.put_bytes("news/index.html", b"half written")
    (releases / f".scratch-{killed}" / "news").mkdir(parents=True)
    STEPS["edit body only"](content)
    build_release(content, releases)
    assert not (releases / killed).exists() and not (releases / OBJECTS_DIR / killed).exists()
    assert not (releases / f".scratch-{killed}").exists()
    assert b"half written" not in (first.path / "news/index.html").read_bytes()


def test_pruned_releases_take_only_their_own_directories_with_them(tmp_path, content):
    from build_scripts.release_tree import disk_usage
    from build_scripts.site_build import list_releases, switch_to

    releases = tmp_path / "releases"
    built = [build_release(content, releases, keep=2)]
    for step in ("publish new article", "edit body only", "unpublish article"):
        STEPS[step](content)
        built.append(build_release(content, releases, keep=2))
    kept = list_releases(releases)
    assert [r.name for r in kept] == [built[-1].name, built[-2].name]
    # Every kept release is complete and still a valid rollback target.
    for release in kept:
        assert (release.path / "index.html").is_file() and _files(release.path)
    switch_to(releases, built[-2].name)
    assert "补充一段学习体会" in (releases / "current/theory/two-studies/index.html").read_text(encoding="utf-8")
    # No directory on disk that no kept release uses.
    used = set()
    for release in kept:
        for directory, subdirs, _ in os.walk(release.path, followlinks=True):
            used.update(os.path.realpath(os.path.join(directory, d)) for d in subdirs)
    assert {str(p) for p in (releases / ".objects").glob("*/*")} == used
    # Two releases cost little more than one.
    assert disk_usage([r.path for r in kept]) < disk_usage([kept[0].path]) * 1.3


# --------------------------------------------------------------------------- stable pagination


def _rendered_files(previous: Path, release: Path) -> set[str]:
    """Files of `release` that are not the very same inode as in `previous`."""
    old = {rel: os.stat(path).st_ino for rel, path in walk_files(previous)}
    return {rel for rel, path in walk_files(release) if old.get(rel) != os.stat(path).st_ino}


def test_a_new_article_leaves_the_archive_pages_alone(tmp_path):
    content = write_sample_content(tmp_path / "content", extra_news=57)  # 60 in news/: 2 archive pages + 20
    releases = tmp_path / "releases"
    before = build_release(content, releases)
    assert (before.path / "news/page/2/index.html").is_file() and not (before.path / "news/page/3").exists()
    _write_article(content, "news/newest.md", 950, "最新的一篇", "2026-11-30")
    after = build_release(content, releases)
    changed = _rendered_files(before.path, after.path)
    assert "news/newest/index.html" in changed and "news/index.html" in changed and "index.html" in changed
    assert not {r for r in changed if "/page/" in r}
    # 61 now; eighteen more fill the first page's remainder (79); the eightieth makes a
    # new archive page and relinks the previous newest one, nothing older.
    for number in range(18):
        _write_article(content, f"news/more-{number}.md", 960 + number, f"又一篇{number}", "2026-12-01")
    before = build_release(content, releases)
    _write_article(content, "news/boundary.md", 990, "第八十篇", "2026-12-02")
    after = build_release(content, releases)
    changed = {r for r in _rendered_files(before.path, after.path) if "/page/" in r}
    assert changed == {"news/page/3/index.html", "news/page/2/index.html"}
    full = build_release(content, tmp_path / "full", incremental=False)
    _assert_identical(after.path, full.path)


# --------------------------------------------------------------------------- random edits


def test_random_edit_sequences_equal_full_builds(tmp_path):
    """Publish, edit (title, date, tags, body), move, unpublish and re-tag articles at
    random, plus the odd section change, comparing every release with a full build."""
    import random

    rng = random.Random(20261126)
    content = write_sample_content(tmp_path / "content", extra_news=44)
    releases = tmp_path / "releases"
    build_release(content, releases, keep=2)
    sections = ["news", "theory", "openness", "openness/notices"]
    tags = ["三会一课", "党费", "主题党日", "党建简讯", "三会一课 "]
    next_id = 5000

    def articles():
        return sorted(
            str(p.relative_to(content)) for p in content.rglob("*.md") if p.name != "index.md" and p.name != "README.md"
        )

    for step in range(14):
        action = rng.choice(["publish", "publish", "edit", "edit", "move", "unpublish", "retag", "section"])
        existing = articles()
        if action == "publish" or not existing:
            next_id += 1
            path = f"{rng.choice(sections)}/random-{next_id}.md"
            _write_article(
                content,
                path,
                next_id,
                f"随机文章{next_id}",
                f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                tags=rng.sample(tags, rng.randint(0, 2)),
            )
        elif action == "edit":
            path = rng.choice(existing)
            text = (content / path).read_text(encoding="utf-8")
            meta = yaml.safe_load(text.split("---\n")[1])
            meta["title"] = meta["title"] + "（修订）"
            meta["date"] = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            (content / path).write_text(
                "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n修订后的正文。\n",
                encoding="utf-8",
            )
        elif action == "move":
            path = rng.choice(existing)
            target = f"{rng.choice(sections)}/{Path(path).name}"
            if not (content / target).exists():
                shutil.move(content / path, content / target)
        elif action == "unpublish":
            (content / rng.choice(existing)).unlink()
        elif action == "retag":
            path = rng.choice(existing)
            text = (content / path).read_text(encoding="utf-8")
            meta = yaml.safe_load(text.split("---\n")[1])
            meta["tags"] = rng.sample(tags, rng.randint(0, 3))
            body = text.split("---\n", 2)[2]
            (content / path).write_text(
                "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n" + body, encoding="utf-8"
            )
        else:
            _edit_title(content, "openness/notices/index.md", f"通知公告{step}")
        release = build_release(content, releases, keep=2)
        full = build_release(content, tmp_path / f"full-{step}", incremental=False)
        try:
            _assert_identical(release.path, full.path)
        except AssertionError as error:
            raise AssertionError(f"step {step} ({action}): {error}") from error
        shutil.rmtree(tmp_path / f"full-{step}")


# --------------------------------------------------------------------------- garbage collection


def test_pruning_collects_before_the_build_returns_and_keeps_every_release_intact(tmp_path):
    """Pruned releases are collected by the build that pruned them, under the build lock, on
    no thread of its own (docs/decisions/0005); nothing kept is ever touched."""
    import threading

    from build_scripts.release_tree import LEGACY_STANDBY_DIR, OBJECTS_DIR

    content = write_sample_content(tmp_path / "content", extra_news=120)
    releases = tmp_path / "releases"
    threads = threading.active_count()
    first = build_release(content, releases, keep=2)
    _write_article(content, "news/one.md", 901, "第一篇", "2026-11-28")
    second = build_release(content, releases, keep=2)
    snapshot = _snapshot(second.path)

    _write_article(content, "news/two.md", 902, "第二篇", "2026-11-29")
    third = build_release(content, releases, keep=2)
    assert threading.active_count() == threads
    assert os.path.realpath(third.path / "news").startswith(str(releases / OBJECTS_DIR / third.name))
    _assert_identical(third.path, build_release(content, tmp_path / "full", incremental=False).path)
    assert _snapshot(second.path) == snapshot
    # `first` is gone already, with exactly the directories only it used.
    assert not first.path.exists() and not list(releases.glob(".pruning-*"))
    used = set()
    for release in (second, third):
        for directory, subdirs, _ in os.walk(release.path, followlinks=True):
            used.update(os.path.realpath(os.path.join(directory, d)) for d in subdirs)
    on_disk = {str(p) for p in (releases / OBJECTS_DIR).glob("*/*")}
    assert on_disk == used
    assert not (releases / OBJECTS_DIR / LEGACY_STANDBY_DIR).exists()


def test_copies_made_ahead_by_earlier_versions_are_deleted(tmp_path):
    """Workers of earlier versions kept copies of big directories in .objects/.standby/
    (made ahead on a thread); the next build deletes what they left."""
    from build_scripts.release_tree import LEGACY_STANDBY_DIR, OBJECTS_DIR

    content = write_sample_content(tmp_path / "content")
    releases = tmp_path / "releases"
    live = build_release(content, releases)
    left = releases / OBJECTS_DIR / LEGACY_STANDBY_DIR / "12345-1"
    left.mkdir(parents=True)
    (left / "index.html").write_text("旧副本", encoding="utf-8")
    snapshot = _snapshot(live.path)
    STEPS["edit body only"](content)
    build_release(content, releases)
    assert not left.parent.exists()
    assert _snapshot(live.path) == snapshot


def test_a_page_at_an_archive_path_fails_the_incremental_build_as_it_fails_a_full_one(tmp_path):
    from build_scripts.site_build import BuildError

    content = write_sample_content(tmp_path / "content", extra_news=57)  # news/page/1/ and /2/
    releases = tmp_path / "releases"
    live = build_release(content, releases)
    _write_article(content, "news/page/2.md", 990, "占用列表页网址的文章", "2026-11-30")
    for incremental in (True, False):
        with pytest.raises(BuildError, match="与自动生成的列表页冲突"):
            build_release(content, releases if incremental else tmp_path / "full", incremental=incremental)
    from build_scripts.site_build import current_release

    assert current_release(releases).name == live.name


def test_collection_decides_what_is_dead_while_no_build_can_change_the_releases(tmp_path, monkeypatch):
    """Regression (b6a8af6): collection used to walk the pruned release against the
    releases kept when it started, on a thread that paused while builds ran; builds
    meanwhile pruned those and made new ones, and directories the live release still used
    were deleted. Now the build that prunes collects, holding the build lock throughout."""
    import threading

    from build_scripts import release_tree
    from build_scripts.site_build import current_release

    content = write_sample_content(tmp_path / "content", extra_news=30)
    releases = tmp_path / "releases"
    entered, go = threading.Event(), threading.Event()
    real = release_tree.dead_objects

    def slow(*args, **kwargs):  # the collection walk takes a while
        entered.set()
        assert go.wait(60)
        return real(*args, **kwargs)

    build_release(content, releases, keep=2)
    for number in range(2):
        _write_article(content, f"news/first-{number}.md", 800 + number, f"先发{number}", "2026-11-28")
        build_release(content, releases, keep=2)
    monkeypatch.setattr(release_tree, "dead_objects", slow)
    _write_article(content, "news/trigger.md", 810, "触发回收", "2026-11-28")
    pruning = threading.Thread(target=build_release, args=(content, releases), kwargs={"keep": 2})
    pruning.start()  # prunes: collection starts
    assert entered.wait(30)
    built = []

    def publish_more():
        for number in range(3):
            _write_article(content, f"news/later-{number}.md", 820 + number, f"后发{number}", "2026-11-29")
            built.append(build_release(content, releases, keep=2))

    builder = threading.Thread(target=publish_more)
    builder.start()
    builder.join(2)
    assert built == []  # builds wait for the walk (it holds the build lock)
    go.set()
    pruning.join(120)
    builder.join(120)
    assert len(built) == 3 and current_release(releases).name == built[-1].name
    for release in (built[-1], built[-2]):  # the kept releases
        dangling = [rel for rel, path in _all_links(release.path) if not path.exists()]
        assert dangling == [], (release.name, dangling[:5])
    _assert_identical(built[-1].path, build_release(content, tmp_path / "full", incremental=False).path)


def _all_links(root: Path):
    for directory, subdirs, files in os.walk(root, followlinks=True):
        for name in subdirs + files:
            path = Path(directory) / name
            if path.is_symlink():
                yield os.path.relpath(path, root), path


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


def test_a_restarted_worker_starts_from_the_catalogue_snapshot_of_the_current_release(tmp_path, content):
    """The worker writes its catalogue to disk when idle and loads it when it starts: the
    first build after a start is then as incremental as the next, and still exact."""
    from build_scripts.site_build import WARM_SNAPSHOT, forget_warm_state, save_warm_snapshot, warm_up

    releases = tmp_path / "releases"
    build_release(content, releases)
    assert not save_warm_snapshot(content, releases, settled=3600)  # a release just made: not yet
    for number, step in enumerate(["publish new article", "edit title shown in listings", "unpublish article"]):
        assert save_warm_snapshot(content, releases)
        assert not save_warm_snapshot(content, releases)  # once per release
        forget_warm_state()  # the worker stops; a new one starts
        assert warm_up(content, releases)
        incremental = _step_built_incrementally(content, releases, step, tmp_path / f"full-{number}")
        assert 0 < incremental.rendered < incremental.page_count / 2, step
    # A snapshot of an older release (the last build's was not written) is not used: the
    # build reads the current release's .build-state/ instead.
    forget_warm_state()
    assert not warm_up(content, releases)
    # Nor one that is damaged.
    build_release(content, releases)
    assert save_warm_snapshot(content, releases)
    snapshot = releases / WARM_SNAPSHOT
    snapshot.write_bytes(snapshot.read_bytes()[:-100])
    forget_warm_state()
    assert not warm_up(content, releases)
    _step_built_incrementally(content, releases, "edit body only", tmp_path / "full-last")


def test_a_snapshot_that_cannot_be_written_leaves_nothing_behind_and_is_not_retried(tmp_path, content, capsys):
    from build_scripts import site_build

    releases = tmp_path / "releases"
    build_release(content, releases)
    (warm,) = [w for key, w in site_build._WARM.items() if key[0] == str(releases.resolve())]
    warm.catalogue.unpicklable = lambda: None  # as if some future field could not be pickled
    assert not site_build.save_warm_snapshot(content, releases)
    assert "未能保存构建缓存快照" in capsys.readouterr().err
    assert sorted(p.name for p in releases.iterdir() if p.name.startswith(site_build.WARM_SNAPSHOT)) == []
    assert not site_build.save_warm_snapshot(content, releases)  # once per release
    assert capsys.readouterr().err == ""
