"""build_scripts.release_tree: releases share directories, copy-on-write, and pruning
deletes exactly what no kept release uses. No MkDocs here: plain files."""

import os
from pathlib import Path

import pytest

from build_scripts.release_tree import (
    OBJECTS_DIR,
    PRUNING_PREFIX,
    ReleaseWriter,
    adopt_tree,
    dead_objects,
    delete_release,
    delete_unfinished,
    disk_usage,
    finish_interrupted_prunes,
    walk_files,
)


def _plain_release(releases: Path, name: str, files: dict[str, str]) -> Path:
    root = releases / name
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    adopt_tree(releases, name)
    return root


def _contents(root: Path) -> dict[str, str]:
    return {rel: path.read_text(encoding="utf-8") for rel, path in walk_files(root)}


def _inodes(root: Path) -> dict[str, int]:
    return {rel: os.stat(path).st_ino for rel, path in walk_files(root)}


SITE = {
    "index.html": "首页",
    "news/a/index.html": "文章甲",
    "news/b/index.html": "文章乙",
    "news/index.html": "新闻",
    "theory/c/index.html": "文章丙",
    "search/p/00.json": "{}",
}


@pytest.fixture
def releases(tmp_path):
    path = tmp_path / "site"
    path.mkdir()
    return path


def test_adopted_tree_keeps_its_files_and_every_directory_becomes_a_shared_object(releases):
    root = _plain_release(releases, "r1", SITE)
    assert _contents(root) == SITE
    for directory in ("news", "news/a", "theory", "search/p"):
        assert (root / directory).is_symlink()
        assert os.path.realpath(root / directory).startswith(str(releases / OBJECTS_DIR / "r1"))
    assert not (root / "index.html").is_symlink()


def test_writing_copies_only_the_directories_on_the_way_and_never_writes_through(releases):
    first = _plain_release(releases, "r1", SITE)
    before, inodes = _contents(first), _inodes(first)
    tree = ReleaseWriter(releases, "r2", base=first)
    tree.put_bytes("news/a/index.html", "文章甲（修订）".encode())
    tree.put_bytes("news/new/index.html", "新文章".encode())
    tree.remove("news/b/index.html")
    second = tree.root

    assert _contents(first) == before and _inodes(first) == inodes
    expected = dict(SITE, **{"news/a/index.html": "文章甲（修订）", "news/new/index.html": "新文章"})
    del expected["news/b/index.html"]
    assert _contents(second) == expected
    assert not (second / "news/b").exists()  # an emptied directory goes too
    # Untouched directories are the same object; touched ones are private copies whose
    # unchanged files are the same inodes.
    assert os.path.realpath(second / "theory") == os.path.realpath(first / "theory")
    assert os.path.realpath(second / "news") != os.path.realpath(first / "news")
    assert os.stat(second / "news/index.html").st_ino == inodes["news/index.html"]
    assert os.stat(second / "index.html").st_ino == inodes["index.html"]
    assert tree.directories_copied == 3  # news, news/a and news/b (then emptied); news/new is new


def test_put_bytes_skips_identical_content_and_shares_nothing_it_changes(releases):
    first = _plain_release(releases, "r1", SITE)
    tree = ReleaseWriter(releases, "r2", base=first)
    assert tree.put_bytes("search/p/00.json", b"{}") is False
    assert tree.directories_copied == 0
    assert tree.put_bytes("search/p/00.json", b'{"x":1}') is True
    assert (first / "search/p/00.json").read_text() == "{}"


def test_root_entries_can_be_left_out(releases):
    first = _plain_release(releases, "r1", dict(SITE, **{"release.json": "{}"}))
    second = ReleaseWriter(releases, "r2", base=first, skip=("release.json",)).root
    assert not (second / "release.json").exists() and (second / "index.html").exists()


def _chain(releases: Path, count: int) -> list[Path]:
    """r1 (adopted) then r2… each editing news/a and adding an article."""
    roots = [_plain_release(releases, "r1", SITE)]
    for number in range(2, count + 1):
        tree = ReleaseWriter(releases, f"r{number}", base=roots[-1])
        tree.put_bytes("news/a/index.html", f"文章甲第{number}版".encode())
        tree.put_bytes(f"news/n{number}/index.html", f"第{number}篇".encode())
        roots.append(tree.root)
    return roots


def test_pruning_deletes_only_objects_no_kept_release_uses(releases):
    roots = _chain(releases, 4)
    kept = roots[1:]
    snapshots = {root.name: _contents(root) for root in kept}
    dead = dead_objects(roots[0], kept)
    # r1's news and news/a were replaced by every later release; theory/search are shared.
    assert {os.path.realpath(p) for p in dead} == {
        os.path.realpath(roots[0] / "news"),
        os.path.realpath(roots[0] / "news/a"),
    }
    delete_release(releases, roots[0], kept)
    assert not roots[0].exists() and not list(releases.glob(f"{PRUNING_PREFIX}*"))
    for root in kept:
        assert _contents(root) == snapshots[root.name]
    # r1 created the theory object, still used by r2…r4: it survives in r1's pool folder.
    assert (releases / OBJECTS_DIR / "r1").is_dir()
    for root in kept[:-1]:
        delete_release(releases, root, [kept[-1]])
    assert _contents(kept[-1]) == snapshots["r4"]
    # Only what r4 uses is left on disk.
    used = set()
    for directory, subdirs, _files in os.walk(kept[-1], followlinks=True):
        used.update(os.path.realpath(os.path.join(directory, d)) for d in subdirs)
    pool = {str(p) for p in (releases / OBJECTS_DIR).glob("*/*")}
    assert pool == used


def test_disk_use_grows_with_what_changed_not_with_the_site(releases):
    big = dict(SITE, **{f"archive/x{i}/index.html": "旧文章" * 50 for i in range(200)})
    first = _plain_release(releases, "r1", big)
    tree = ReleaseWriter(releases, "r2", base=first)
    tree.put_bytes("news/a/index.html", "改".encode())
    alone = disk_usage([first])
    together = disk_usage([first, tree.root])
    assert together - alone < alone / 20


def test_an_interrupted_prune_is_finished_without_touching_shared_objects(releases):
    roots = _chain(releases, 3)
    snapshot = _contents(roots[2])
    os.rename(roots[0], releases / f"{PRUNING_PREFIX}r1")  # as delete_release starts
    assert finish_interrupted_prunes(releases, roots[1:]) == [f"{PRUNING_PREFIX}r1"]
    assert _contents(roots[2]) == snapshot and _contents(roots[1])


def test_an_unfinished_build_leaves_nothing(releases):
    first = _plain_release(releases, "r1", SITE)
    before = _contents(first)
    tree = ReleaseWriter(releases, "r2", base=first)
    tree.put_bytes("news/a/index.html", b"half")
    delete_unfinished(releases, "r2")
    assert not (releases / "r2").exists() and not (releases / OBJECTS_DIR / "r2").exists()
    assert _contents(first) == before


def test_a_shared_directory_behind_a_new_link_inode_is_still_shared(releases):
    """Identity is the link inode for speed, but a link to the same object made by other
    means (a new symlink, not a hard link) must not get the object collected."""
    roots = _chain(releases, 2)
    theory = roots[1] / "theory"
    target = os.readlink(theory)
    theory.unlink()
    os.symlink(target, theory)  # same object, new inode
    snapshot = _contents(roots[1])
    delete_release(releases, roots[0], [roots[1]])
    assert _contents(roots[1]) == snapshot


def test_each_release_starts_its_directories_where_the_file_system_has_room(releases, tmp_path, directory_flags):
    """On ext4 the object pool is marked as the top of unrelated hierarchies (chattr +T): a
    publish's new directories and files then go to block groups with free inodes, not next to
    the pool that the first full build filled (~180 µs a file instead of ~15 µs at 100,000
    pages). Where the file system has no such flag, releases are made all the same."""
    from build_scripts.release_tree import _FS_TOPDIR_FL, spread_subdirectories

    probe = tmp_path / "probe"
    probe.mkdir()
    supported = spread_subdirectories(probe)
    _plain_release(releases, "r1", SITE)
    tree = ReleaseWriter(releases, "r2", releases / "r1")
    tree.put_bytes("news/a/index.html", "文章甲（修订）".encode())
    assert _contents(releases / "r2")["news/a/index.html"] == "文章甲（修订）"
    if supported:
        assert directory_flags(probe) & _FS_TOPDIR_FL
        assert directory_flags(releases / OBJECTS_DIR) & _FS_TOPDIR_FL
        assert not directory_flags(releases / OBJECTS_DIR / "r2") & _FS_TOPDIR_FL  # (only the pool)
    else:
        assert not spread_subdirectories(releases / OBJECTS_DIR)
