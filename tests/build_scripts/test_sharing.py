"""The share block and the tags apps read when a public page's link is shared: what a reader
scans, copies or sends to 微博 is the page's own address, and the picture and text other apps
show come from the page, escaped."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
import zxingcpp
from PIL import Image
from bs4 import BeautifulSoup
from content_samples import SITE_URL, write_sample_content

from build_scripts.site_build import build_release

ARTICLE = "openness/sanhui-yike-2026q4"
HOSTILE_TITLE = '"><script>alert(1)</script>三会一课'


def _set_front_matter(path, **changes):
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front) | changes
    path.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body, encoding="utf-8")


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("sharing")
    content = write_sample_content(root / "content")
    _set_front_matter(content / f"{ARTICLE}.md", image="/assets/images/activity-room.png", title=HOSTILE_TITLE)
    # An image that is not one of our assets is never offered to other apps.
    _set_front_matter(content / "news/democratic-review.md", image="https://tracker.example.com/pixel.png")
    _set_front_matter(content / "news/probationary-members.md", image="javascript:alert(1)")
    return build_release(content, root / "releases")


def page(release, url_path):
    return BeautifulSoup((release.path / url_path / "index.html").read_text(encoding="utf-8"), "html.parser")


def meta(soup, prop):
    tag = soup.find("meta", attrs={"property": prop}) or soup.find("meta", attrs={"name": prop})
    return tag["content"] if tag else None


def scan(svg) -> list[str]:
    """Read the QR code as a phone would: draw the SVG's strokes (standard path syntax: M/m
    moves, h horizontal lines, one module wide) into a bitmap and decode it with zxing."""
    size = int(svg["viewbox"].split()[2])
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", svg.find("path")["d"]):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            length = int(a)
            top = int((y - 0.5) * scale)
            for px in range(int(x * scale), int((x + length) * scale)):
                for py in range(top, top + scale):
                    image.putpixel((px, py), 0)
            x += length
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_article_share_block_scans_copies_and_shares_the_page_address(release):
    soup = page(release, ARTICLE)
    address = SITE_URL + ARTICLE + "/"
    block = soup.select_one("article .dj-share")
    assert block is not None and block.find("h2").get_text() == "分享本页"
    assert scan(block.find("svg")) == [address]
    assert block.find("svg")["aria-label"] == "本页网址的二维码"
    assert block.find("input", id="dj-share-url")["value"] == address
    weibo = block.find("a", class_="dj-share__weibo")
    assert weibo["target"] == "_blank" and "noopener" in weibo["rel"]
    query = parse_qs(urlsplit(weibo["href"]).query)
    assert query["url"] == [address]
    assert query["title"] == [HOSTILE_TITLE]  # the title as text, carried in the link's address
    assert query["pic"] == [SITE_URL + "assets/images/activity-room.png"]
    # The page links to 微博 but requests nothing from it (or any other host).
    assert not [tag for tag in soup.find_all(["img", "script", "link", "iframe"]) if "weibo" in str(tag)]


def test_apps_read_title_summary_address_and_picture(release):
    soup = page(release, ARTICLE)
    assert meta(soup, "og:type") == "article"
    assert meta(soup, "og:title") == HOSTILE_TITLE  # escaped in the HTML, the same text for the app
    assert meta(soup, "og:url") == SITE_URL + ARTICLE + "/"
    assert meta(soup, "og:image") == SITE_URL + "assets/images/activity-room.png"
    assert meta(soup, "og:site_name") == "某某集团有限公司党委"
    summary = meta(soup, "og:description")
    assert summary and meta(soup, "description") == summary
    assert soup.find("meta", attrs={"itemprop": "image"})["content"] == meta(soup, "og:image")
    html = (release.path / ARTICLE / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html


def test_a_picture_from_elsewhere_is_never_offered(release):
    for url_path in ("news/democratic-review", "news/probationary-members"):
        soup = page(release, url_path)
        assert meta(soup, "og:image") is None
        assert "pic" not in parse_qs(urlsplit(soup.select_one(".dj-share__weibo")["href"]).query)
        html = str(soup)
        assert "tracker.example.com" not in html and "javascript:alert" not in html


@pytest.mark.parametrize("url_path", ["", "news", "tags"])
def test_home_sections_and_tag_pages_can_be_shared_too(release, url_path):
    soup = (
        page(release, url_path)
        if url_path
        else BeautifulSoup((release.path / "index.html").read_text(encoding="utf-8"), "html.parser")
    )
    assert scan(soup.select_one(".dj-share svg")) == [SITE_URL + (url_path + "/" if url_path else "")]
    assert meta(soup, "og:type") == "website"


def test_member_area_and_help_pages_have_no_share_block(release):
    for url_path in ("member", "member/notices", "help"):
        soup = page(release, url_path)
        assert soup.select_one(".dj-share") is None, url_path
        assert meta(soup, "og:url") is None, url_path
