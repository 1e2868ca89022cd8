"""The one place that decides how a value reaches HTML (build_scripts/html_safety.py)."""

import markdown
import pytest
from bs4 import BeautifulSoup

from build_scripts.html_safety import (
    escape,
    html_to_text,
    markdown_inline,
    markdown_text,
    plain,
    safe_url,
    sanitize_html,
    sanitize_rich_text,
)
from tests.hostile import PAYLOADS, marker, shown, unsafe_markup

# The site's Markdown extensions (site/mkdocs.yml), without MkDocs.
EXTENSIONS = [
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "md_in_html",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.tilde",
]


def render(source: str) -> str:
    return markdown.markdown(source, extensions=EXTENSIONS)


@pytest.mark.parametrize("payload", PAYLOADS, ids=marker)
def test_plain_text_made_markdown_renders_exactly_as_typed(payload):
    for source in (markdown_inline(payload), f"## {markdown_inline(payload)}", markdown_text(payload)):
        html = render(source)
        assert not unsafe_markup(html, allowed_scripts=set(), where="markdown"), source
        text = " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())
        assert text == shown(payload), source


@pytest.mark.parametrize("payload", PAYLOADS, ids=marker)
def test_sanitised_markup_runs_nothing(payload):
    for clean in (sanitize_html, sanitize_rich_text):
        html = clean(payload)
        assert not unsafe_markup(html, allowed_scripts=set(), where=clean.__name__, content=None), html
        # Sanitised once or twice: the same (the build sanitises what the exporter sanitised).
        assert clean(html) == html


@pytest.mark.parametrize("payload", PAYLOADS, ids=marker)
def test_escaped_text_is_text(payload):
    html = f"<p>{escape(payload)}</p>"
    assert " ".join(BeautifulSoup(html, "html.parser").get_text().split()) == shown(payload)
    assert escape(escape(payload)) == escape(payload), "escaping twice must not show &amp;lt;"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://www.12371.cn/a?b=1#c", "https://www.12371.cn/a?b=1#c"),
        ("HTTP://EXAMPLE.CN/", "HTTP://EXAMPLE.CN/"),
        ("mailto:dangban@example.cn", "mailto:dangban@example.cn"),
        ("tel:010-12345678", "tel:010-12345678"),
        ("/news/x/#要求", "/news/x/#要求"),
        ("#锚点", "#锚点"),
        ("?page=2", "?page=2"),
        ("/a b/(c)", "/a%20b/%28c%29"),
        ("javascript:alert(1)", None),
        (" JaVaScRiPt:alert(1)", None),
        ("java\tscr\nipt:alert(1)", None),
        ("\x01javascript:alert(1)", None),
        ("data:text/html,<b>", None),
        ("vbscript:x", None),
        ("//evil.example/", None),
        ("/\\evil.example/", None),
        ("\\\\evil.example", None),
        ("a:b", None),
        ("", None),
    ],
)
def test_safe_url_allows_web_mail_phone_and_site_urls_only(url, expected):
    assert safe_url(url) == expected


def test_safe_url_without_relative_urls():
    assert safe_url("/news/", allow_relative=False) is None
    assert safe_url("https://x.cn/", allow_relative=False) == "https://x.cn/"


def test_sanitiser_keeps_what_the_site_uses():
    html = (
        '<h2 id="一安排">一、安排</h2><p><strong>粗</strong><em>斜</em><a href="/news/">站内</a></p>'
        '<figure class="dj-video"><video controls playsinline webkit-playsinline x5-playsinline '
        'preload="metadata" poster="/assets/images/1.jpg" src="/assets/media/2.mp4" aria-label="党课"></video>'
        '<figcaption>说明</figcaption></figure><table><thead><tr><th style="text-align: center;">项</th>'
        "</tr></thead><tbody><tr><td>值</td></tr></tbody></table>"
        '<div class="admonition tip"><p class="admonition-title">提示</p></div>'
        '<nav class="dj-help-toc" aria-label="本页目录"><ol><li><a href="#open">打开</a></li></ol></nav>'
        '<p class="dj-attachment"><a href="/assets/media/3.pdf" download>文件</a></p>'
    )
    soup = BeautifulSoup(sanitize_html(html), "html.parser")
    assert soup.find("h2")["id"] == "一安排"
    video = soup.find("video")
    assert {"controls", "playsinline", "webkit-playsinline", "x5-playsinline", "poster", "src", "aria-label"} <= set(
        video.attrs
    )
    assert soup.find("th")["style"] == "text-align: center;"
    assert soup.select_one(".admonition.tip .admonition-title")
    assert soup.find("nav")["aria-label"] == "本页目录"
    assert soup.select_one(".dj-attachment a").has_attr("download")


def test_sanitiser_drops_theme_ids_classes_and_styles():
    soup = BeautifulSoup(
        sanitize_html(
            '<div id="__config" class="md-dialog dj-x" style="position:fixed">x</div>'
            '<h2 id="md-header">y</h2><p id="has space">z</p>'
        ),
        "html.parser",
    )
    div = soup.find("div")
    assert not div.has_attr("id") and div["class"] == ["dj-x"] and not div.has_attr("style")
    assert not soup.find("h2").has_attr("id") and not soup.find("p").has_attr("id")


def test_rich_text_keeps_only_editor_markup():
    html = sanitize_rich_text('<p class="x">一<span>二</span><pre>```\n三</pre><a href="/a" title="t">四</a></p>')
    assert "<span" not in html and "<pre" not in html and "class=" not in html and "title=" not in html
    assert "二" in html and '<a href="/a">四</a>' in html


def test_plain_drops_control_characters_but_keeps_lines():
    assert plain("a\x00b\x0bc\x1b\r\nd\te\x85f") == "abc\nd\tef"
    assert html_to_text("&lt;b&gt; <i>斜</i><script>x</script>") == "<b> 斜"
