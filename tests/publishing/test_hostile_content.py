"""Stored XSS: every field of every page type and every block carries hostile payloads, the
pages go through the real pipeline (signals → export → git → build), and every built file is
read the way a browser reads it. The site must show the payloads as text and run none."""

import html
import json
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from wagtail.models import Site
from wagtail.rich_text import RichText

from build_scripts.release_tree import walk_files
from cms.core.models import SiteSettings
from cms.openness.models import OpennessCategory
from tests.factories import (
    DocumentFactory,
    ImageFactory,
    NewsPageFactory,
    OpennessPageFactory,
    OrganisationUnitFactory,
    SectionPageFactory,
    TheoryPageFactory,
)
from tests.hostile import PAYLOADS, URL_PAYLOADS, marker, shown, storable, unsafe_markup

CONTENT = "article.md-content__inner"


def _body(payload: str, number: int, image, video, audio, document) -> list:
    link = URL_PAYLOADS[number % len(URL_PAYLOADS)]
    return [
        ("heading", payload[:120]),
        # Typed into the editor: Draftail stores the text escaped.
        ("paragraph", RichText(f"<p>正文{html.escape(payload)}</p><h3>{html.escape(payload)}</h3>")),
        # Saved through the model API, an import or a script: raw markup.
        ("paragraph", RichText(f"<p>原样{payload}</p>")),
        ("paragraph", RichText(f'<p><a href="{html.escape(link, quote=True)}">链接{marker(payload)}</a></p>')),
        ("image", {"image": image, "caption": payload}),
        (
            "gallery",
            {"title": payload, "images": [{"image": image, "caption": payload}, {"image": image, "caption": ""}]},
        ),
        ("video", {"video": video, "poster": image, "caption": payload}),
        ("audio", {"audio": audio, "caption": payload}),
        (
            "table",
            {
                "data": [[payload, "说明"], ["第二行", payload]],
                "first_row_is_table_header": True,
                "table_caption": payload,
            },
        ),
        ("attachment", {"document": document, "title": payload}),
        ("quote", {"text": payload, "source": payload}),
    ]


@pytest.fixture
def hostile_site(home, publish, public_site):
    site = Site.objects.get(is_default_site=True)
    settings = SiteSettings.for_site(site)
    settings.org_name = storable(PAYLOADS[1])
    settings.icp_number = storable(PAYLOADS[2])[:50]
    settings.announcement_text = storable(PAYLOADS[0])
    settings.announcement_link = URL_PAYLOADS[0]  # the model API skips the form's check
    settings.save()
    home.title, home.intro = storable(PAYLOADS[12]), storable(PAYLOADS[3])
    home.save_revision().publish()
    sections = [
        SectionPageFactory(parent=home, title=storable(p), slug=f"section-{i}", intro=storable(p))
        for i, p in enumerate(PAYLOADS[4:8])
    ]
    video = DocumentFactory(
        title=storable(PAYLOADS[9]), file__filename="clip.mp4", file__data=b"\x00\x00\x00\x18ftypmp42"
    )
    audio = DocumentFactory(title=storable(PAYLOADS[10]), file__filename="talk.mp3", file__data=b"ID3")
    factories = [NewsPageFactory, OpennessPageFactory, TheoryPageFactory]
    articles = {}
    for number, raw in enumerate(PAYLOADS):
        payload = storable(raw)
        image = ImageFactory(title=payload)
        document = DocumentFactory(title=payload, file__filename="notes.pdf")
        extra = {}
        factory = factories[number % 3]
        if factory is OpennessPageFactory:
            extra["category"] = OpennessCategory.objects.create(name=payload[:50], sort_order=number)
        if factory is TheoryPageFactory:
            extra["source"] = payload[:200]
        articles[raw] = factory(
            parent=sections[number % len(sections)],
            title=payload,
            slug=f"xss-{number:02d}",
            summary=payload,
            tags=[payload[:100], f"标签{marker(raw)}"],
            issuing_unit=OrganisationUnitFactory(name=payload[:100]),
            body=_body(payload, number, image, video, audio, document),
            **extra,
        )
    publish()
    return {"articles": articles, "sections": sections, "release": public_site.root}


def _soup(public_site, path: str) -> BeautifulSoup:
    return BeautifulSoup(public_site.text(path), "html.parser")


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


def test_no_built_file_carries_a_payload_that_can_run(hostile_site):
    release = hostile_site["release"]
    ours = {path.name for path in (release / "assets" / "javascripts").iterdir() if path.suffix == ".js"}
    problems, pages, shards = [], 0, 0
    for rel, path in walk_files(release):
        if rel.endswith(".html"):
            pages += 1
            problems += unsafe_markup(
                path.read_text(encoding="utf-8"), allowed_scripts=ours, where=rel, content=CONTENT
            )
        elif rel == "feed.xml":
            for item in ET.parse(path).getroot().iter("item"):
                # Readers render <description> as HTML: it must be escaped text.
                description = item.findtext("description") or ""
                problems += unsafe_markup(description, allowed_scripts=set(), where=f"{rel} description")
                assert "<" not in BeautifulSoup(description, "html.parser").decode().replace("&lt;", ""), description
        elif rel.endswith(".xml"):
            ET.parse(path)  # sitemap and shards stay well-formed XML whatever the titles hold
        elif rel.startswith("search/") and rel.endswith(".json"):
            shards += 1
            json.loads(path.read_bytes())
    assert pages > len(PAYLOADS) and shards > 0
    assert not problems, "\n".join(problems[:40])

    # A script URL in a rich-text link is not a link on the site; its words stay.
    for raw in PAYLOADS[: len(URL_PAYLOADS)]:
        page = hostile_site["articles"][raw]
        content = BeautifulSoup(
            (release / page.url.strip("/") / "index.html").read_text(encoding="utf-8"), "html.parser"
        ).select_one(CONTENT)
        words = [p for p in content.find_all("p") if _text(p) == f"链接{marker(raw)}"]
        assert words and words[0].find("a") is None, marker(raw)


def test_every_place_shows_its_payload_as_text(hostile_site, public_site):
    checked = 0
    for raw, page in hostile_site["articles"].items():
        text = shown(storable(raw))
        soup = _soup(public_site, page.url.strip("/") + "/index.html")
        where = marker(raw)
        content = soup.select_one(CONTENT)
        assert _text(content.find("h1")) == text, where
        assert _text(soup.title).startswith(text), where
        assert text in [_text(a) for a in content.select(".dj-tags a")], where
        assert text in _text(content.select_one(".dj-meta__unit")), where
        headings = [_text(h) for h in content.find_all(["h2", "h3"])]
        assert headings.count(text) >= 2, (where, headings)  # heading block + rich text heading
        assert any(_text(p) == shown("正文" + storable(raw)) for p in content.find_all("p")), where
        assert text in [_text(td) for td in content.find_all(["td", "th"])], where
        assert any(text in _text(q) for q in content.find_all("blockquote")), where
        figure = content.select_one("figure.dj-figure")
        assert _text(figure.figcaption) == text and figure.img["alt"] == text, where
        assert _text(content.select_one(".dj-attachment a")) == text, where
        assert content.select_one(".dj-video video")["aria-label"] == text, where
        if page.specific_class.__name__ == "OpennessPage":
            assert text[:50].strip() in _text(content.select_one(".dj-meta__category")), where
        checked += 1
    assert checked == len(PAYLOADS)

    # Listings, breadcrumbs, navigation, tags, feed and site settings (same build: one test).
    section = hostile_site["sections"][0]
    listing = _soup(public_site, section.url.strip("/") + "/index.html")
    titles = [_text(a) for a in listing.select(".dj-listing__title a")]
    summaries = [_text(p) for p in listing.select(".dj-listing__summary")]
    on_section = [raw for raw, page in hostile_site["articles"].items() if page.get_parent().pk == section.pk]
    for raw in on_section[-10:]:
        assert shown(storable(raw)) in titles and shown(storable(raw)) in summaries, marker(raw)
    assert _text(listing.select_one(CONTENT).find("h1")) == shown(section.title)
    crumbs = [
        _text(a)
        for a in _soup(public_site, hostile_site["articles"][on_section[0]].url.strip("/") + "/index.html").select(
            ".dj-breadcrumbs a"
        )
    ]
    assert shown(section.title) in crumbs

    home = _soup(public_site, "index.html")
    assert shown(storable(PAYLOADS[1])) in _text(home.select_one(".dj-footer__org"))  # 组织名称
    banner = home.select_one(".dj-announce")
    assert shown(PAYLOADS[0]) in _text(banner)
    assert banner.find("a") is None, "a javascript: link in the 权威发布 banner must be dropped"
    assert shown(storable(PAYLOADS[3])) in _text(home.select_one(CONTENT))  # 首页导语
    assert _text(home.select_one(CONTENT).find("h1")) == shown(storable(PAYLOADS[12]))  # 首页标题
    nav = [_text(a) for a in home.select(".md-tabs__link")]
    assert shown(section.title) in nav

    tags = [_text(a) for a in _soup(public_site, "tags/index.html").select(".dj-tag")]
    for raw in PAYLOADS:
        assert any(tag.startswith(shown(storable(raw))[:100].strip()) for tag in tags), marker(raw)

    feed = ET.fromstring(public_site.text("feed.xml").encode())
    items = {" ".join(item.findtext("title").split()): item for item in feed.iter("item")}
    assert feed.find("channel").findtext("title") == shown(storable(PAYLOADS[1]))
    for raw in list(hostile_site["articles"])[-20:]:
        text = shown(storable(raw))
        assert text in items, marker(raw)
        description = BeautifulSoup(items[text].findtext("description"), "html.parser").get_text()
        assert " ".join(description.split()) == text, marker(raw)
