"""Video, audio and documents live in the media store beside the content repository and
releases link them (build_scripts/media_store.py): the history holds pointers only, a
release costs no copy, incremental equals full, and a purge takes a medium out of every kept
release while recording who did it."""

import io
import os
import stat

import pytest
import yaml
from content_samples import article_meta, write_sample_content

from build_scripts.content_repo import ContentRepo
from build_scripts.media_store import MediaStore, MediaStoreError, Pointer, read_pointer, referenced, store_for
from build_scripts.site_build import BuildError, ReleaseTarget, build_commit, build_release, list_releases
from tests.build_scripts.test_incremental import _assert_identical

VIDEO = b"\x00\x00\x00\x18ftypmp42" + os.urandom(300_000)
NEW_VIDEO = b"\x00\x00\x00\x18ftypmp42" + os.urandom(200_000)


class _Broken(io.BytesIO):
    def read(self, size=-1):
        if self.tell() > 100_000:
            raise OSError("disk went away")
        return super().read(min(size, 50_000) if size and size > 0 else 50_000)


def _object_files(store: MediaStore) -> list:
    return sorted(p for p in (store.root / "objects").rglob("*") if p.is_file()) if store.root.exists() else []


def test_a_medium_is_stored_once_under_its_hash_read_only(tmp_path):
    store = MediaStore(tmp_path / "lfs")
    pointer = store.put(io.BytesIO(VIDEO), "assets/media/7-abc.mp4")
    again = store.put(io.BytesIO(VIDEO), "assets/media/9-def.mp4")  # the same bytes, another page
    assert pointer == again and pointer.size == len(VIDEO)
    [stored] = _object_files(store)
    assert stored == store.object_path(pointer.oid) and stored.read_bytes() == VIDEO
    assert not stat.S_IMODE(stored.stat().st_mode) & 0o222  # nobody writes through a release's link
    text = pointer.text()
    assert text.startswith(b"version https://git-lfs.github.com/spec/v1\noid sha256:") and len(text) < 200
    pointer_file = tmp_path / "p.mp4"
    pointer_file.write_bytes(text)
    assert read_pointer(pointer_file) == pointer
    pointer_file.write_bytes(text + b"extra")  # not a pointer: a file that starts like one
    assert read_pointer(pointer_file) is None
    assert [o.paths for o in store.objects()] == [("assets/media/7-abc.mp4", "assets/media/9-def.mp4")]


def test_a_store_that_fails_half_way_is_left_as_it_was(tmp_path):
    store = MediaStore(tmp_path / "lfs")
    with pytest.raises(OSError):
        store.put(_Broken(VIDEO), "assets/media/1-x.mp4")
    assert _object_files(store) == [] and list((store.root / "tmp").iterdir()) == []


def test_only_hex_object_names_are_accepted(tmp_path):
    store = MediaStore(tmp_path / "lfs")
    for hostile in ("../../etc/passwd", "A" * 64, "0" * 63, "0" * 64 + "/x"):
        with pytest.raises(MediaStoreError):
            store.object_path(hostile)


def _add_video(content, store: MediaStore, name: str, data: bytes) -> Pointer:
    pointer = store.put(io.BytesIO(data), f"assets/media/{name}")
    _link_video(content, name, pointer)
    return pointer


def _link_video(content, name: str, pointer: Pointer) -> None:
    """content/ as the exporter leaves it: the pointer, and an article linking the file."""
    target = content / "assets" / "media" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.iterdir():
        old.unlink()
    target.write_bytes(pointer.text())
    meta = article_meta(700, "党课录像", "news/lecture/", "2026-11-20")
    (content / "news" / "lecture.md").write_text(
        "---\n"
        + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
        + f"---\n\n[党课录像（MP4）](/assets/media/{name})\n",
        encoding="utf-8",
    )


@pytest.fixture
def site(tmp_path):
    """Sample content/, the media store beside its repository, a releases directory."""
    return (
        write_sample_content(tmp_path / "content"),
        MediaStore(tmp_path / "content.git" / "lfs"),
        tmp_path / "releases",
    )


def test_a_release_links_the_stored_object_and_incremental_equals_full(tmp_path, site):
    content, store, releases = site
    first = _add_video(content, store, "700-aaaa.mp4", VIDEO)
    one = build_release(content, releases, media_store=store.root)
    served = one.path / "assets" / "media" / "700-aaaa.mp4"
    assert served.read_bytes() == VIDEO
    assert os.stat(served).st_ino == store.object_path(first.oid).stat().st_ino  # a link, not a copy

    _add_video(content, store, "700-bbbb.mp4", NEW_VIDEO)  # the recording is replaced
    served_new = content / "assets" / "media" / "700-bbbb.mp4"
    two = build_release(content, releases, media_store=store.root)
    assert two.incremental
    full = build_release(content, tmp_path / "full", incremental=False, media_store=store.root)
    _assert_identical(two.path, full.path)
    assert (two.path / "assets" / "media" / "700-bbbb.mp4").read_bytes() == NEW_VIDEO
    assert not (two.path / "assets" / "media" / "700-aaaa.mp4").exists()
    assert served.read_bytes() == VIDEO  # the kept release still serves the old one (rollback)
    assert referenced(content) == {read_pointer(served_new).oid: ["assets/media/700-bbbb.mp4"]}


def test_a_purge_removes_the_object_from_every_kept_release_and_records_who(site):
    content, store, releases = site
    old = _add_video(content, store, "700-aaaa.mp4", VIDEO)
    first = build_release(content, releases, media_store=store.root)
    _add_video(content, store, "700-bbbb.mp4", NEW_VIDEO)
    build_release(content, releases, media_store=store.root)

    kept = [release.path for release in list_releases(releases)]
    record = store.purge(old.oid, by="管理员甲", releases=kept)
    assert record["purged_by"] == "管理员甲" and record["release_links_removed"] == 1
    assert not store.has(old.oid) and store.purge_record(old.oid)["paths"] == ["assets/media/700-aaaa.mp4"]
    assert not (first.path / "assets" / "media" / "700-aaaa.mp4").exists()
    with pytest.raises(MediaStoreError):
        store.purge(old.oid, by="管理员甲", releases=kept)

    # Content rolled back to before the replacement: the purged medium stays out, the build succeeds.
    _link_video(content, "700-aaaa.mp4", old)
    rolled_back = build_release(content, releases, media_store=store.root)
    assert not (rolled_back.path / "assets" / "media" / "700-aaaa.mp4").exists()
    assert "700-aaaa.mp4" in (rolled_back.path / "news" / "lecture" / "index.html").read_text(encoding="utf-8")


def test_a_pointer_the_store_cannot_serve_fails_the_build_and_keeps_the_live_release(site):
    content, store, releases = site
    _add_video(content, store, "700-aaaa.mp4", VIDEO)
    live = build_release(content, releases, media_store=store.root)
    unknown = Pointer("ab" * 32, 5)
    (content / "assets" / "media" / "700-aaaa.mp4").write_bytes(unknown.text())
    with pytest.raises(BuildError, match="不在媒体库"):
        build_release(content, releases, media_store=store.root)
    with pytest.raises(BuildError, match="没有指定媒体库"):
        build_release(content, releases, incremental=False)
    assert (releases / "current").resolve() == live.path.resolve()


def test_a_purged_medium_committed_whole_before_the_store_stays_out(site):
    """Content rolled back to a commit from before the store holds the file itself."""
    content, store, releases = site
    old = _add_video(content, store, "700-aaaa.mp4", VIDEO)
    store.purge(old.oid, by="管理员甲")
    (content / "assets" / "media" / "700-aaaa.mp4").write_bytes(VIDEO)  # the old commit's whole file
    (content / "assets" / "media" / "701-bbbb.mp4").write_bytes(NEW_VIDEO)  # never purged: served
    release = build_release(content, releases, media_store=store.root)
    assert not (release.path / "assets" / "media" / "700-aaaa.mp4").exists()
    assert (release.path / "assets" / "media" / "701-bbbb.mp4").read_bytes() == NEW_VIDEO


def test_a_purged_medium_stored_again_is_served_again_and_the_purge_stays_on_record(tmp_path):
    store = MediaStore(tmp_path / "lfs")
    pointer = store.put(io.BytesIO(VIDEO), "assets/media/7-abc.mp4")
    store.purge(pointer.oid, by="管理员甲")
    assert store.purge_record(pointer.oid) is not None
    store.put(io.BytesIO(VIDEO), "assets/media/7-abc.mp4")  # the page is published again
    assert store.has(pointer.oid) and store.purge_record(pointer.oid) is None
    assert store.purged_by_size() == {}
    [archived] = (store.root / "purged").glob(f"{pointer.oid}.*.json")
    assert "管理员甲" in archived.read_text(encoding="utf-8")


def test_damaged_records_neither_hide_objects_nor_unpurge_them(tmp_path):
    """A crash of the machine while a record was written leaves it empty."""
    store = MediaStore(tmp_path / "lfs")
    kept = store.put(io.BytesIO(VIDEO), "assets/media/7-abc.mp4")
    gone = store.put(io.BytesIO(NEW_VIDEO), "assets/media/8-def.mp4")
    store.purge(gone.oid, by="管理员甲")
    (store.root / "meta" / f"{kept.oid}.json").write_bytes(b"")
    (store.root / "purged" / f"{gone.oid}.json").write_bytes(b"")
    assert [o.oid for o in store.objects()] == [kept.oid]
    assert store.purge_record(gone.oid) is not None  # still purged: left out of builds
    assert not store.link_into(gone, tmp_path / "release" / "x.mp4")


def test_a_purged_medium_published_again_is_served_by_the_next_publish(tmp_path):
    """Published again, a purged medium comes back under the pointer content/ already had (its
    hash): git sees no change, yet the live release left the file out. The next build through
    ``build_commit`` (the CMS's) is then a full one and serves it; the one after is incremental."""
    content = write_sample_content(tmp_path / "content")
    repo = ContentRepo.open_or_init(content, tmp_path / "content.git")
    store = store_for(repo.git_dir)
    target = ReleaseTarget(tmp_path / "releases")
    pointer = _add_video(content, store, "700-aaaa.mp4", VIDEO)
    build_commit(repo, repo.commit_all("发布党课", "编辑", "editor@example.org"), target)
    store.purge(pointer.oid, by="管理员甲", releases=[r.path for r in list_releases(target.releases_dir)])
    left_out = build_commit(repo, repo.head(), target)
    assert left_out.incremental and not (left_out.path / "assets" / "media" / "700-aaaa.mp4").exists()

    assert store.put(io.BytesIO(VIDEO), "assets/media/700-aaaa.mp4") == pointer  # the page published again
    assert repo.commit_all("再次发布", "编辑", "editor@example.org") is None  # content/ did not change
    served = build_commit(repo, repo.head(), target)
    assert not served.incremental
    assert (served.path / "assets" / "media" / "700-aaaa.mp4").read_bytes() == VIDEO

    (content / "news" / "note.md").write_text(
        "---\n"
        + yaml.safe_dump(article_meta(701, "通知", "news/note/", "2026-11-21"), allow_unicode=True)
        + "---\n\n正文。\n",
        encoding="utf-8",
    )
    after = build_commit(repo, repo.commit_all("新通知", "编辑", "editor@example.org"), target)
    assert after.incremental
    assert (after.path / "assets" / "media" / "700-aaaa.mp4").read_bytes() == VIDEO
