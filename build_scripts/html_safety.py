"""The one place that decides how a value from the CMS or from content/ reaches HTML.

Every editor is a possible attacker, and so is whoever can write a file into content/.
Four rules, used by the exporter (``cms/publishing``), the site build (``site/hooks``), the
member API (lesson bodies) and the admin previews alike:

* **Plain text** (titles, tags, summaries, captions, alt texts, headings, table cells,
  quotes, issuing unit …) is cleaned of control characters (``plain``) and escaped
  (``escape``). Templates that print such values autoescape; values handed to templates
  that do not (material's own) are passed as already-escaped ``Markup``.
* **Plain text that becomes Markdown** (a heading block, a table cell, an intro) is made
  literal (``markdown_text``): HTML and Markdown syntax in it render as the characters
  typed, never as markup.
* **Rich text and rendered Markdown** go through an allow-list sanitiser
  (``sanitize_html``, nh3/ammonia): known tags and attributes only, no ``on*`` handlers, no
  ``style`` but table alignment, no comments, and URLs only through ``safe_url``.
* **URLs** (``safe_url``): http(s), mailto, tel and site-relative (``/path``, ``path``,
  ``#anchor``, ``?query``) only; scheme-relative ``//host`` and ``/\\host`` are refused;
  whitespace and control characters that browsers ignore inside a scheme are removed
  before the scheme is checked, so ``java\\tscript:`` is still ``javascript:``.

This module has no Django import: the MkDocs hook uses it too. Its source is part of the
site's theme signature (``site_build.theme_signature``), so changing a rule re-renders
every page.
"""

from __future__ import annotations

import re

import nh3
from markupsafe import Markup
from markupsafe import escape as _markup_escape

URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# C0 controls but tab/newline, DEL, C1 controls, and the non-characters XML cannot carry
# (the feed and the sitemap are XML).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# Browsers drop these anywhere in a URL before parsing it (WHATWG URL: tab and newline) and
# at its ends (C0 controls and space).
_URL_IGNORED = re.compile("[\t\n\r]")
# Characters that must not appear raw in a URL written into Markdown or an attribute.
_URL_UNSAFE = re.compile(r"[\s\"'<>\\()`]")


def plain(value: object) -> str:
    """A value as plain text: ``str``, line endings normalised, control characters removed."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def escape(value: object) -> Markup:
    """Plain text as HTML (``&<>"'`` escaped). ``Markup`` from this module passes unchanged,
    so escaping twice is harmless; a ``Markup`` made anywhere else is re-escaped as text."""
    if isinstance(value, Markup) and getattr(value, "_dj_escaped", False):
        return value
    result = _markup_escape(plain(value))
    return _EscapedMarkup(result)


class _EscapedMarkup(Markup):
    """Markup produced by ``escape`` (tells it apart from Markup a template made)."""

    __slots__ = ()
    _dj_escaped = True


def safe_url(url: object, *, allow_relative: bool = True) -> str | None:
    """``url`` if it is http(s), mailto, tel or (with ``allow_relative``) site-relative,
    normalised so it can be written into an attribute or a Markdown link; else None."""
    if url is None:
        return None
    text = _URL_IGNORED.sub("", plain(url)).strip(" \x00")
    if not text:
        return None
    scheme = _SCHEME.match(text)
    if scheme:
        if scheme.group(1).lower() not in URL_SCHEMES:
            return None
    elif not allow_relative or text.startswith(("//", "/\\", "\\")):
        return None
    elif ":" in text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return None  # "a:b" with an invalid scheme name: not a relative path
    # Spaces, quotes, angle brackets, parentheses and backslashes percent-encoded: the URL
    # then survives Markdown link syntax and attribute quoting unchanged in meaning.
    return _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), text)


# --------------------------------------------------------------------------- Markdown

# Characters Python-Markdown (with the site's extensions) honours a backslash escape for.
_MARKDOWN_ESCAPABLE = re.compile(r"([\\`*_{}\[\]()>#+\-.!|~])")
# Line starts that begin Markdown syntax no backslash escape reaches (definition lists,
# pymdownx.details, setext headings): written as numeric character references.
_LINE_START_ENTITIES = {":": "&#58;", "?": "&#63;", "=": "&#61;"}


def markdown_escape(text: object) -> str:
    """Plain text as Markdown that renders as exactly these characters (whitespace as is).

    HTML-significant characters become character references (Python-Markdown passes
    ``\\<`` through as raw HTML) and Markdown punctuation is backslash-escaped.
    """
    value = plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MARKDOWN_ESCAPABLE.sub(r"\\\1", value)
    return re.sub(r"(?m)^([ \t]*)([:?=])", lambda m: m.group(1) + _LINE_START_ENTITIES[m.group(2)], value)


def markdown_inline(text: object) -> str:
    """One line of plain text as Markdown inline content (runs of whitespace, newlines
    included, become one space)."""
    return markdown_escape(" ".join(plain(text).split()))


def markdown_text(text: object) -> str:
    """Multi-line plain text (an intro, a quote) as Markdown paragraphs: blank lines separate
    paragraphs, single newlines are kept as line breaks."""
    paragraphs = re.split(r"\n\s*\n", plain(text).strip())
    rendered = []
    for paragraph in paragraphs:
        lines = [markdown_inline(line) for line in paragraph.split("\n") if line.strip()]
        if lines:
            rendered.append("<br>\n".join(lines))
    return "\n\n".join(rendered)


# --------------------------------------------------------------------------- sanitiser

# Everything the site's Markdown (with its extensions), the exporter's HTML blocks, the
# block templates and the site's own pages produce. Anything else is dropped (its text is
# kept); script/style/etc. are dropped with their content.
ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "audio",
        "b",
        "blockquote",
        "br",
        "caption",
        "code",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "nav",
        "ol",
        "p",
        "pre",
        "s",
        "section",
        "small",
        "source",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
        "video",
    }
)
_DROP_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "textarea",
        "select",
        "title",
        "xmp",
        "noembed",
        "noframes",
    }
)
_MEDIA = {
    "src",
    "controls",
    "preload",
    "poster",
    "playsinline",
    "webkit-playsinline",
    "x5-playsinline",
    "aria-label",
    "width",
    "height",
    "muted",
    "loop",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "download", "rel"},
    "abbr": set(),
    "img": {"src", "alt", "width", "height", "loading"},
    "video": set(_MEDIA),
    "audio": set(_MEDIA) - {"poster", "width", "height", "playsinline", "webkit-playsinline", "x5-playsinline"},
    "source": {"src", "type"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "time": {"datetime"},
    "details": {"open"},
    "nav": {"aria-label"},
    "section": {"aria-label"},
    "blockquote": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
}
_URL_ATTRIBUTES = frozenset({"href", "src", "poster", "cite"})
_CLASS_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
# Ids content may not take: the theme's own elements (material's __config, __search …) and
# our ``dj-`` and material's ``md-`` namespaces. A page could otherwise clobber them.
_RESERVED_ID = re.compile(r"^(_|md-|dj-)", re.I)
_TEXT_ALIGN = re.compile(r"^\s*text-align\s*:\s*(left|right|center)\s*;?\s*$", re.I)
_REL_VALUES = frozenset({"nofollow", "noopener", "noreferrer", "footnote"})


def allowed_id(value: str) -> bool:
    """Whether content may give an element this id (heading anchors are such ids)."""
    return bool(value) and not _RESERVED_ID.match(value) and not any(c.isspace() for c in value)


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    if name in _URL_ATTRIBUTES:
        return safe_url(value)
    if name == "class":
        tokens = [t for t in value.split() if _CLASS_TOKEN.match(t) and not t.lower().startswith("md-")]
        return " ".join(tokens) or None
    if name == "id":
        return value if allowed_id(value) else None
    if name == "style":
        match = _TEXT_ALIGN.match(value)
        return f"text-align: {match.group(1).lower()};" if match else None
    if name == "rel":
        tokens = [t for t in value.lower().split() if t in _REL_VALUES]
        return " ".join(tokens) or None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_DROP_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel=None,
    url_schemes=set(URL_SCHEMES),
)


def sanitize_html(html: object) -> str:
    """Rich text or rendered Markdown with everything but the allow-list removed."""
    text = plain(html)
    if not text:
        return ""
    return _CLEANER.clean(text)


# Rich text (Draftail with the features of cms/core/blocks.py) holds only these; the
# exporter turns it into Markdown, which has no safe way to carry anything else.
RICH_TEXT_TAGS = frozenset(
    {
        "a",
        "b",
        "blockquote",
        "br",
        "em",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "strong",
        "ul",
    }
)
_RICH_TEXT_CLEANER = nh3.Cleaner(
    tags=set(RICH_TEXT_TAGS),
    clean_content_tags=set(_DROP_WITH_CONTENT),
    attributes={"*": set(), "a": {"href"}, "img": {"src", "alt", "width", "height", "loading"}},
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel=None,
    url_schemes=set(URL_SCHEMES),
)


def sanitize_rich_text(html: object) -> str:
    """Stored rich text reduced to what the editor can make: paragraphs, headings, lists,
    emphasis, links and images, with safe URLs; any other markup is dropped, its text kept."""
    text = plain(html)
    if not text:
        return ""
    return _RICH_TEXT_CLEANER.clean(text)


def html_to_text(html: object) -> str:
    """The visible text of an HTML fragment, as plain text (tags dropped, references decoded)."""
    from html import unescape

    return plain(unescape(_TEXT_ONLY.clean(plain(html))))


_TEXT_ONLY = nh3.Cleaner(
    tags=set(), clean_content_tags=set(_DROP_WITH_CONTENT), attributes={}, strip_comments=True, link_rel=None
)
