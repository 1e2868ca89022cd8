import json
import os

import pytest
import yaml
from wagtail.rich_text import RichText

from build_scripts.media_store import read_pointer, store_for
from cms.publishing.exporter import (
    LEGACY_MANIFEST_NAME,
    MANIFEST_DIR,
    MANIFEST_SHARDS,
    SHARDED_MARKER,
    Exporter,
    is_manifest_path,
    manifest_entry,
    manifest_shard,
)
from tests.factories import (
    DocumentFactory,
    ImageFactory,
    NewsPageFactory,
    OpennessPageFactory,
    OrganisationUnitFactory,
    SectionPageFactory,
    TheoryPageFactory,
)


def _read(path):
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def test_article_front_matter_and_body(home, site_paths):
    unit = OrganisationUnitFactory(name="第一党支部")
    openness = SectionPageFactory(parent=home, slug="openness", title="党务公开")
    target = TheoryPageFactory(parent=home.get_children().first() or openness, slug="guide", title="工作指引")
    image = ImageFactory(title="会议现场")
    attachment = DocumentFactory(title="会议记录", file__filename="minutes.pdf")
    OpennessPageFactory(
        parent=openness,
        slug="q4",
        title="第四季度三会一课公开",
        issuing_unit=unit,
        tags=["三会一课", "公开"],
        summary="季度公开",
        body=[
            ("heading", "基本情况"),
            (
                "paragraph",
                RichText(
                    f'<p>详见<a linktype="page" id="{target.pk}">工作指引</a>和'
                    f'<a href="https://www.12371.cn/">共产党员网</a>。</p>'
                ),
            ),
            ("image", {"image": image, "caption": "会议现场"}),
            (
                "table",
                {
                    "data": [["支部", "次数"], ["第一党支部", "3|次"]],
                    "first_row_is_table_header": True,
                    "first_col_is_header": False,
                    "table_caption": "",
                },
            ),
            ("attachment", {"document": attachment, "title": ""}),
            ("quote", {"text": "不忘初心", "source": "学习材料"}),
        ],
    )

    Exporter().sync(None)

    meta, body = _read(site_paths["CONTENT_DIR"] / "openness" / "q4.md")
    assert meta["title"] == "第四季度三会一课公开"
    assert meta["type"] == "openness" and meta["type_label"] == "党务公开"
    assert meta["category"] == "三会一课"
    assert meta["issuing_unit"] == "第一党支部"
    assert sorted(meta["tags"]) == sorted(["公开", "三会一课"])
    assert meta["canonical_url"] == "http://127.0.0.1:8000/openness/q4/"
    assert "## 基本情况" in body
    assert f"[工作指引]({target.url})" in body
    assert "[共产党员网](https://www.12371.cn/)" in body
    assert "| 第一党支部 | 3\\|次 |" in body
    assert "> —— 学习材料" in body
    image_files = list((site_paths["CONTENT_DIR"] / "assets" / "images").iterdir())
    image.refresh_from_db()
    assert [f.name for f in image_files] == [f"{image.pk}-{image.file_hash[:10]}-max1200.jpg"]
    assert f'src="/assets/images/{image_files[0].name}"' in body
    # Documents, audio and video: a pointer in content/, the bytes in the media store.
    [doc_file] = list((site_paths["CONTENT_DIR"] / "assets" / "media").iterdir())
    pointer = read_pointer(doc_file)
    stored = store_for(site_paths["CONTENT_GIT_DIR"]).object_path(pointer.oid)
    assert stored.read_bytes() == attachment.file.open("rb").read()
    assert f'href="/assets/media/{doc_file.name}"' in body
    assert "会议记录" in body and "PDF" in body

    section_meta, _ = _read(site_paths["CONTENT_DIR"] / "openness" / "index.md")
    assert section_meta["type"] == "section" and section_meta["title"] == "党务公开"


def test_unused_media_is_not_copied_and_replaced_files_get_new_names(home, site_paths):
    news = SectionPageFactory(parent=home, slug="news")
    ImageFactory(title="没人用的图片")
    used = ImageFactory(title="在用图片")
    page = NewsPageFactory(parent=news, slug="n", body=[("image", {"image": used, "caption": ""})])
    Exporter().sync(None)
    images_dir = site_paths["CONTENT_DIR"] / "assets" / "images"
    assert [f.name.split("-")[0] for f in images_dir.iterdir()] == [str(used.pk)]

    page.body = []
    page.save_revision().publish()
    Exporter().sync(None)
    assert not images_dir.exists()


def test_internal_link_to_a_draft_becomes_plain_text(home, site_paths):
    news = SectionPageFactory(parent=home, slug="news")
    draft = NewsPageFactory(parent=news, slug="not-yet", publish=False)
    NewsPageFactory(
        parent=news,
        slug="linking",
        body=[("paragraph", RichText(f'<p>参见<a linktype="page" id="{draft.pk}">即将发布的通知</a>。</p>'))],
    )
    Exporter().sync(None)
    _, body = _read(site_paths["CONTENT_DIR"] / "news" / "linking.md")
    assert "即将发布的通知" in body
    assert "not-yet" not in body


def _manifest_files(content_dir):
    return {f"{MANIFEST_DIR}/{f.name}": f for f in (content_dir / MANIFEST_DIR).iterdir()}


def test_manifest_shard_bytes_and_their_in_process_copy(home, site_paths):
    """Each shard is written exactly as json.dumps(indent=1) would write its entries (the
    format is the contract), and the copy the worker keeps is dropped when a file is
    replaced or removed (a content rollback restores other ones)."""
    news = SectionPageFactory(parent=home, slug="news")
    image = ImageFactory(title="图")
    NewsPageFactory(parent=news, slug="with-image", body=[("image", {"image": image, "caption": ""})])
    plain = NewsPageFactory(parent=news, slug="plain")
    exporter = Exporter()
    exporter.sync(None)
    manifest = exporter.load_manifest()
    files = _manifest_files(site_paths["CONTENT_DIR"])
    assert set(files) == {manifest_shard(page_id) for page_id in manifest} and len(files) > 1
    for name, file in files.items():
        entries = {k: v for k, v in manifest.items() if manifest_shard(k) == name}
        expected = json.dumps({str(k): entries[k] for k in sorted(entries)}, ensure_ascii=False, indent=1) + "\n"
        assert file.read_text(encoding="utf-8") == expected
    assert any(entry["assets"] for entry in manifest.values())

    shard = files[manifest_shard(plain.pk)]
    kept = {k: v for k, v in json.loads(shard.read_text(encoding="utf-8")).items() if k != str(plain.pk)}
    tmp = shard.with_name(".replaced")
    tmp.write_text(json.dumps(kept, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, shard)
    assert "news/plain.md" not in {e["path"] for e in Exporter().load_manifest().values()}
    shard.unlink()
    assert set(Exporter().load_manifest()) == {k for k in manifest if manifest_shard(k) != manifest_shard(plain.pk)}


def test_a_publish_rewrites_only_the_manifest_shard_of_its_page(home, site_paths):
    """The manifest grows with the site (9 MB at 100,000 pages): one page's publish must
    rewrite, and commit, its own shard alone."""
    news = SectionPageFactory(parent=home, slug="news")
    pages = [NewsPageFactory(parent=news, slug=f"page-{number}") for number in range(4)]
    exporter = Exporter()
    exporter.sync(None)
    before = {name: file.stat() for name, file in _manifest_files(site_paths["CONTENT_DIR"]).items()}
    edited, alone = pages[1], pages[2]
    assert manifest_shard(edited.pk) != manifest_shard(alone.pk)

    edited.slug = "renamed"
    edited.save_revision().publish()
    exporter.take_touched()
    exporter.sync({edited.pk})
    touched = exporter.take_touched()
    assert {path for path in touched if is_manifest_path(path)} == {manifest_shard(edited.pk)}
    after = {name: file.stat() for name, file in _manifest_files(site_paths["CONTENT_DIR"]).items()}
    assert {name for name in before if after[name].st_mtime_ns != before[name].st_mtime_ns} == {
        manifest_shard(edited.pk)
    }
    assert Exporter().load_manifest()[edited.pk]["path"] == "news/renamed.md"

    # A shard whose last page goes is removed, not left as an empty object.
    alone.unpublish()
    exporter.sync({alone.pk})
    assert manifest_shard(alone.pk) not in _manifest_files(site_paths["CONTENT_DIR"])
    assert alone.pk not in Exporter().load_manifest()


def test_content_written_before_the_manifest_was_sharded_is_read_then_converted(home, site_paths):
    """content/ from before (or rolled back to a commit from before) holds one
    `.manifest.json`: it is the manifest until the next publish writes the shards in its place."""
    from cms.publishing import exporter as exporter_module

    news = SectionPageFactory(parent=home, slug="news")
    first, second = (NewsPageFactory(parent=news, slug=slug) for slug in ("first", "second"))
    Exporter().sync(None)
    content = site_paths["CONTENT_DIR"]
    manifest = Exporter().load_manifest()
    legacy = content / LEGACY_MANIFEST_NAME
    legacy.write_text(json.dumps({str(k): manifest[k] for k in sorted(manifest)}, indent=1), encoding="utf-8")
    for file in _manifest_files(content).values():
        file.unlink()
    (content / MANIFEST_DIR).rmdir()
    exporter_module._manifest_cache.__init__()  # a new process

    exporter = Exporter()
    assert exporter.load_manifest() == manifest
    assert manifest_entry(content, first.pk) == manifest[first.pk]
    second.unpublish()
    exporter.take_touched()
    exporter.sync({second.pk})
    assert legacy.read_text(encoding="utf-8") == SHARDED_MARKER
    assert LEGACY_MANIFEST_NAME in exporter.take_touched()  # the marker is committed
    converted = {k: v for k, v in manifest.items() if k != second.pk}
    assert set(_manifest_files(content)) == {manifest_shard(k) for k in converted}
    exporter_module._manifest_cache.__init__()
    assert Exporter().load_manifest() == converted
    assert manifest_entry(content, first.pk) == manifest[first.pk]


def test_a_program_older_than_the_sharding_refuses_sharded_content_rather_than_emptying_it(home, site_paths):
    """A code rollback, or an old worker still running during an upgrade, that found no
    `.manifest.json` would take the manifest for empty, rewrite it with its own pages alone,
    and unpublished pages would stay public. The marker in its place makes it fail."""
    news = SectionPageFactory(parent=home, slug="news")
    NewsPageFactory(parent=news, slug="story")
    exporter = Exporter()
    exporter.sync(None)
    marker = (site_paths["CONTENT_DIR"] / LEGACY_MANIFEST_NAME).read_text(encoding="utf-8")
    assert marker == SHARDED_MARKER
    with pytest.raises(ValueError):  # what the program before b154942 did with the file
        {int(key): entry for key, entry in json.loads(marker).items()}
    assert "news/story.md" in {entry["path"] for entry in Exporter().load_manifest().values()}  # from the shards


def _next_page_id_is(page_id: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('wagtailcore_page', 'id'), %s)", [page_id - 1])
        else:  # Django's SQLite primary keys are AUTOINCREMENT
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = 'wagtailcore_page'", [page_id - 1])


def test_a_shard_changed_behind_the_workers_back_is_written_from_the_file_not_its_copy(home, site_paths):
    """Another process rewrote a shard (a rollback) keeping its size, mtime and inode (a
    coarse clock, a reused inode): the next publish of a page in that shard keeps the other
    entries as the file has them, instead of committing the worker's stale copy back."""
    news = SectionPageFactory(parent=home, slug="news")
    edited = NewsPageFactory(parent=news, slug="page-001")
    _next_page_id_is(edited.pk + MANIFEST_SHARDS)  # the next page shares its shard
    other = NewsPageFactory(parent=news, slug="page-002")
    assert manifest_shard(other.pk) == manifest_shard(edited.pk)
    exporter = Exporter()
    exporter.sync(None)
    shard = site_paths["CONTENT_DIR"] / manifest_shard(edited.pk)
    before = shard.stat()
    text = shard.read_text(encoding="utf-8")
    old_path = f"news/{other.slug}.md"
    assert old_path in text
    changed = text.replace(old_path, f"news/{other.slug[:-3]}xyz.md")
    with open(shard, "r+", encoding="utf-8") as handle:  # in place: same inode, same size
        handle.write(changed)
    os.utime(shard, ns=(before.st_atime_ns, before.st_mtime_ns))

    edited.title = "改过的标题"
    edited.save_revision().publish()
    exporter.sync({edited.pk})
    entries = json.loads(shard.read_text(encoding="utf-8"))
    assert entries[str(other.pk)]["path"] == f"news/{other.slug[:-3]}xyz.md"


def test_a_page_publish_drops_only_the_assets_nobody_uses_any_more(home, site_paths):
    news = SectionPageFactory(parent=home, slug="news")
    shared, own = ImageFactory(title="共用"), ImageFactory(title="独用")
    one = NewsPageFactory(
        parent=news,
        slug="one",
        body=[("image", {"image": shared, "caption": ""}), ("image", {"image": own, "caption": ""})],
    )
    NewsPageFactory(parent=news, slug="two", body=[("image", {"image": shared, "caption": ""})])
    exporter = Exporter()
    exporter.sync(None)
    images = site_paths["CONTENT_DIR"] / "assets" / "images"
    assert {f.name.split("-")[0] for f in images.iterdir()} == {str(shared.pk), str(own.pk)}
    one.body = []
    one.save_revision().publish()
    exporter.take_touched()
    exporter.sync({one.pk})  # what publishing page `one` does
    assert {f.name.split("-")[0] for f in images.iterdir()} == {str(shared.pk)}
    touched = exporter.take_touched()
    assert "news/one.md" in touched and manifest_shard(one.pk) in touched
    assert any(path.startswith(f"assets/images/{own.pk}-") for path in touched)
    assert not any(path.startswith(f"assets/images/{shared.pk}-") for path in touched)


def test_the_shared_picture_is_the_cover_else_the_first_public_body_image(home, site_paths):
    from wagtail.models import CollectionViewRestriction

    from tests.factories import CollectionFactory

    news = SectionPageFactory(parent=home, slug="news")
    private = CollectionFactory.create("内部资料")
    CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
    cover, in_body = ImageFactory(title="封面"), ImageFactory(title="正文图")
    private_cover = ImageFactory(title="内部封面", collection=private)
    body = [("paragraph", RichText("<p>正文</p>")), ("image", {"image": in_body, "caption": ""})]
    NewsPageFactory(parent=news, slug="with-cover", cover_image=cover, body=body)
    NewsPageFactory(parent=news, slug="private-cover", cover_image=private_cover, body=body)
    NewsPageFactory(parent=news, slug="no-picture", body=[("paragraph", RichText("<p>只有文字</p>"))])
    Exporter().sync(None)

    images = site_paths["CONTENT_DIR"] / "assets" / "images"
    meta, body_text = _read(site_paths["CONTENT_DIR"] / "news" / "with-cover.md")
    assert meta["image"].startswith(f"/assets/images/{cover.pk}-")
    assert (images / meta["image"].rsplit("/", 1)[1]).is_file()  # exported although not in the body
    assert meta["image"] not in body_text
    meta, _ = _read(site_paths["CONTENT_DIR"] / "news" / "private-cover.md")
    assert meta["image"].startswith(f"/assets/images/{in_body.pk}-")  # a private cover never leaves
    assert not [f for f in images.iterdir() if f.name.startswith(f"{private_cover.pk}-")]
    meta, _ = _read(site_paths["CONTENT_DIR"] / "news" / "no-picture.md")
    assert "image" not in meta
