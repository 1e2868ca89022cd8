"""One output rule per block (cms/core/block_output.py): the admin preview and the member API
show what the exporter writes, through the site's Markdown and sanitiser; only the media URLs
differ (Wagtail's serve URLs in the CMS, asset files on the site)."""

import html
import re
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from wagtail.rich_text import RichText

from cms.accounts.roles import EDITOR
from cms.bootstrap.roles import setup_roles
from cms.core.block_output import PreviewMedia, render_body, site_html
from cms.core.blocks import BodyBlock
from cms.publishing.exporter import collector_for, default_site
from tests.factories import DocumentFactory, ImageFactory, NewsPageFactory, SectionPageFactory, UserFactory
from tests.hostile import PAYLOADS, marker, shown, storable, unsafe_markup


@pytest.fixture
def world(home):
    section = SectionPageFactory(parent=home, title="要闻", slug="yaowen")
    return SimpleNamespace(
        section=section,
        news=NewsPageFactory(parent=section, title="一则新闻", slug="news-1"),
        image=ImageFactory(title="合影"),
        poster=ImageFactory(title="封面"),
        video=DocumentFactory(title="党课视频", file__filename="lecture.mp4"),
        audio=DocumentFactory(title="党课音频", file__filename="lecture.mp3"),
        document=DocumentFactory(title="学习材料", file__filename="notes.pdf"),
    )


def _value(kind: str, w):
    return {
        "heading": "学习要点",
        "paragraph": RichText(
            f'<p>阅读<a linktype="document" id="{w.document.pk}">学习材料</a>和'
            f'<a linktype="page" id="{w.news.pk}">一则新闻</a>。</p><h3>小结</h3>'
        ),
        "image": {"image": w.image, "caption": "党委集中学习"},
        "gallery": {
            "title": "活动组图",
            "images": [{"image": w.image, "caption": "一"}, {"image": w.poster, "caption": ""}],
        },
        "video": {"video": w.video, "poster": w.poster, "caption": "专题党课"},
        "audio": {"audio": w.audio, "caption": "录音"},
        "table": {
            "data": [["项目", "要求"], ["学时", "两小时"]],
            "first_row_is_table_header": True,
            "table_caption": "学习安排",
        },
        "attachment": {"document": w.document, "title": ""},
        "quote": {"text": "不忘初心，牢记使命。", "source": "党的十九大报告"},
    }[kind]


def _essentials(kind: str, w) -> list[str]:
    """What the public sees of each block, with the preview's URLs."""
    image, poster = (PreviewMedia().image_url(i)[0] for i in (w.image, w.poster))
    return {
        "heading": ['<h2 id="学习要点">学习要点</h2>'],
        "paragraph": [
            f'<a href="{w.document.url}">学习材料</a>',
            '<a href="/yaowen/news-1/">一则新闻</a>',
            '<h3 id="小结">小结</h3>',
        ],
        "image": [
            f'<figure class="dj-figure"><img src="{image}" alt="党委集中学习"',
            "<figcaption>党委集中学习</figcaption>",
        ],
        "gallery": ['<div class="dj-gallery"><p class="dj-gallery__title">活动组图</p>', f'src="{poster}" alt="封面"'],
        "video": [f'poster="{poster}" src="{w.video.url}" aria-label="专题党课"', "<figcaption>专题党课</figcaption>"],
        "audio": [f'<audio controls="" preload="none" src="{w.audio.url}" aria-label="录音">'],
        "table": ["<p><strong>学习安排</strong></p>", "<th>项目</th>", "<td>两小时</td>"],
        "attachment": [
            f'<p class="dj-attachment"><a href="{w.document.url}" download="">学习材料</a>'
            '<span class="dj-attachment__meta">（PDF，1 KB）</span></p>'
        ],
        "quote": ["<blockquote>\n<p>不忘初心，牢记使命。</p>\n<p>—— 党的十九大报告</p>\n</blockquote>"],
    }[kind]


@pytest.mark.parametrize("kind", list(BodyBlock.base_blocks))
def test_preview_shows_what_the_export_writes(world, kind):
    page = NewsPageFactory(parent=world.section, slug=f"one-{kind}", body=[(kind, _value(kind, world))])
    collector = collector_for(page, default_site())
    exported = render_body(collector, page.body)
    preview = str(page.body.render_as_block())

    # The export's Markdown, with the preview's media URLs, is exactly the preview.
    preview_media = PreviewMedia()
    for image in (world.image, world.poster):
        exported = exported.replace(collector.image_url(image)[0], preview_media.image_url(image)[0])
    for document in (world.video, world.audio, world.document):
        exported = exported.replace(collector.document_url(document), preview_media.document_url(document))
    assert "/assets/" not in exported
    assert preview == site_html(exported)
    assert str(page.body[0].render()) == preview  # a block rendered alone: the same rule
    for essential in _essentials(kind, world):
        assert essential in preview, (essential, preview)


def test_attachment_shows_type_size_and_download_in_the_admin_preview_and_on_the_site(world, client):
    """The block templates showed a bare link here; the site shows the file's type and size."""
    page = NewsPageFactory(
        parent=world.section,
        slug="with-file",
        body=[("attachment", {"document": world.document, "title": "  学习材料（全文）  "})],
    )
    setup_roles()
    client.force_login(UserFactory(groups=[EDITOR]))

    preview = client.get(reverse("wagtailadmin_pages:view_draft", args=[page.pk])).content.decode()
    exported = render_body(collector_for(page, default_site()), page.body)

    assert (
        f'<p class="dj-attachment"><a href="{world.document.url}" download="">学习材料（全文）</a>'
        '<span class="dj-attachment__meta">（PDF，1 KB）</span></p>'
    ) in preview
    assert re.fullmatch(
        rf'<p class="dj-attachment"><a href="/assets/media/{world.document.pk}-[0-9a-f]{{10}}\.pdf" '
        r'download>学习材料（全文）</a><span class="dj-attachment__meta">（PDF，1 KB）</span></p>',
        exported,
    ), exported


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


@pytest.mark.parametrize("raw", PAYLOADS, ids=marker)
def test_hostile_text_is_text_in_the_preview_and_the_export(world, raw):
    payload = storable(raw)
    page = NewsPageFactory(
        parent=world.section,
        slug="hostile",
        body=[
            ("heading", payload[:120]),
            ("paragraph", RichText(f"<p>正文{html.escape(payload)}</p><p>原样{payload}</p>")),
            ("image", {"image": world.image, "caption": payload}),
            (
                "gallery",
                {
                    "title": payload,
                    "images": [{"image": world.image, "caption": payload}, {"image": world.poster, "caption": ""}],
                },
            ),
            ("video", {"video": world.video, "poster": world.poster, "caption": payload}),
            ("audio", {"audio": world.audio, "caption": payload}),
            (
                "table",
                {
                    "data": [[payload, "说明"], ["第二行", payload]],
                    "first_row_is_table_header": True,
                    "table_caption": payload,
                },
            ),
            ("attachment", {"document": world.document, "title": payload}),
            ("quote", {"text": payload, "source": payload}),
        ],
    )
    text, heading = shown(payload), shown(payload[:120])
    outputs = {
        "export": site_html(render_body(collector_for(page, default_site()), page.body)),
        "preview": str(page.body.render_as_block()),
    }
    for where, output in outputs.items():
        assert not unsafe_markup(output, allowed_scripts=set(), where=where)
        soup = BeautifulSoup(output, "html.parser")
        assert heading in [_text(h) for h in soup.find_all("h2")], where
        assert shown("正文" + payload) in [_text(p) for p in soup.find_all("p")], where
        assert [_text(f.figcaption) for f in soup.select("figure.dj-figure") if f.figcaption] == [text, text], where
        assert [f.img["alt"] for f in soup.select("figure.dj-figure")][0] == text, where
        assert _text(soup.select_one(".dj-gallery__title")) == text, where
        assert _text(soup.select_one("figure.dj-video figcaption")) == text, where
        assert soup.select_one("figure.dj-audio audio")["aria-label"] == text, where
        assert [_text(cell) for cell in soup.find_all(["th", "td"])].count(text) == 2, where
        assert _text(soup.select_one(".dj-attachment a")) == text, where
        assert text in _text(soup.blockquote), where
