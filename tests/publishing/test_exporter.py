import os

import yaml
from wagtail.rich_text import RichText

from build_scripts.media_store import read_pointer, store_for
from cms.publishing.exporter import Exporter
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


def test_manifest_bytes_and_its_in_process_copy(home, site_paths):
    """The manifest is written exactly as json.dumps(indent=1) would (its format is the
    contract), and the copy the worker keeps is dropped when the file is replaced
    (a content rollback restores another one)."""
    import json

    from cms.publishing.exporter import MANIFEST_NAME

    news = SectionPageFactory(parent=home, slug="news")
    image = ImageFactory(title="图")
    NewsPageFactory(parent=news, slug="with-image", body=[("image", {"image": image, "caption": ""})])
    NewsPageFactory(parent=news, slug="plain")
    exporter = Exporter()
    exporter.sync(None)
    path = site_paths["CONTENT_DIR"] / MANIFEST_NAME
    manifest = exporter.load_manifest()
    expected = json.dumps({str(k): manifest[k] for k in sorted(manifest)}, ensure_ascii=False, indent=1) + "\n"
    assert path.read_text(encoding="utf-8") == expected
    assert any(entry["assets"] for entry in manifest.values())

    replaced = {str(k): v for k, v in manifest.items() if v["path"] != "news/plain.md"}
    tmp = path.with_name(".replaced")
    tmp.write_text(json.dumps(replaced, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    assert "news/plain.md" not in {e["path"] for e in Exporter().load_manifest().values()}


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
    assert "news/one.md" in touched and ".manifest.json" in touched
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


def test_a_starting_worker_takes_each_entrys_lines_from_the_manifest_file_as_they_would_be_written(home, site_paths):
    """The manifest's per-entry JSON is kept in the process so a publish need not re-serialise
    every entry; a starting worker takes it from the file instead of making it again (seconds
    at 100,000 pages). What it takes must be exactly what writing would make, and a file laid
    out otherwise must not be trusted."""
    import json

    from cms.publishing import exporter as exporter_module
    from cms.publishing.exporter import MANIFEST_NAME

    news = SectionPageFactory(parent=home, slug="news")
    image = ImageFactory(title="图")
    NewsPageFactory(
        parent=news, slug="with-image", title='带"引号"的标题', body=[("image", {"image": image, "caption": ""})]
    )
    for number in range(3):
        NewsPageFactory(parent=news, slug=f"plain-{number}")
    Exporter().sync(None)
    path = site_paths["CONTENT_DIR"] / MANIFEST_NAME

    exporter_module._manifest_cache.__init__()  # a new process
    manifest = Exporter().load_manifest()
    taken = exporter_module._manifest_cache.fragments
    assert len(taken) == len(manifest) > 3
    for page_id, entry in manifest.items():
        made = json.dumps({str(page_id): entry}, ensure_ascii=False, indent=1)[2:-2]
        assert taken[page_id] == (entry, made)

    # Laid out otherwise (by hand, other code): nothing taken, and the next write is canonical.
    path.write_text(
        json.dumps({str(k): v for k, v in manifest.items()}, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    exporter_module._manifest_cache.__init__()
    exporter = Exporter()
    assert exporter.load_manifest() == manifest and exporter_module._manifest_cache.fragments == {}
    NewsPageFactory(parent=news, slug="one-more")
    exporter.sync(None)
    written = exporter.load_manifest()
    expected = json.dumps({str(k): written[k] for k in sorted(written)}, ensure_ascii=False, indent=1) + "\n"
    assert path.read_text(encoding="utf-8") == expected
