"""Hostile input: a corpus of payloads an editor (or whoever writes into content/) might type,
and the checks that a page built from them is safe.

Each payload carries its own marker (``XSS01`` …) so a failure names it. The checks parse
what a browser would parse: no script that is not the site's, no ``on*`` attribute, no
script-capable URL, and no payload's markup anywhere unescaped.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from bs4 import BeautifulSoup, Comment

from build_scripts.html_safety import plain

PAYLOADS: list[str] = [
    # Script and event handlers
    '<script>alert("XSS01")</script>',
    "<img src=x onerror=alert('XSS02')>",
    "<svg onload=alert(3)>XSS03</svg>",
    "<svg><script>alert(4)</script>XSS04</svg>",
    "<body onload=alert(5)>XSS05",
    '<iframe src="javascript:alert(6)"></iframe>XSS06',
    "<details open ontoggle=alert(7)>XSS07</details>",
    '<a href="#" onclick="alert(8)">XSS08</a>',
    '" onmouseover="alert(9)" data-x="XSS09',
    "' onfocus='alert(10)' autofocus data-x='XSS10",
    "</title><script>alert(11)</script>XSS11",
    "</textarea></style></noscript><script>alert(12)</script>XSS12",
    "<scr<script>ipt>alert(13)</scr</script>ipt>XSS13",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>XSS14",
    "<style>@import 'javascript:alert(15)';</style>XSS15",
    "<input autofocus onfocus=alert(16)>XSS16",
    "<video><source onerror=alert(17)></video>XSS17",
    "<marquee onstart=alert(18)>XSS18</marquee>",
    # Script-capable URLs, with case, entity and whitespace tricks
    "javascript:alert('XSS19')",
    "JaVaScRiPt:alert('XSS20')",
    "jav&#x09;ascript:alert('XSS21')",
    "&#106;avascript:alert('XSS22')",
    "java\tscript:alert('XSS23')",
    "  \x01javascript:alert('XSS24')",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTMjUnKTwvc2NyaXB0Pg==",
    "vbscript:msgbox('XSS26')",
    '<a href="javascript&colon;alert(27)">XSS27</a>',
    '<a href="//evil.example/28">XSS28</a>',
    # SVG and MathML
    '<svg><a xlink:href="javascript:alert(29)"><text x="0" y="20">XSS29</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(30)></style></table>XSS30",
    "<svg><animate onbegin=alert(31) attributeName=x dur=1s>XSS31",
    # Markdown link and image syntax, attribute lists, reference links
    "[点我XSS32](javascript:alert(32))",
    "![XSS33](javascript:alert(33))",
    "[XSS34](data:text/html,<script>alert(34)</script>)",
    "<javascript:alert(35)>XSS35",
    '## 小标题XSS36 {: onclick="alert(36)" }',
    "[XSS37][x]\n\n[x]: javascript:alert(37)",
    # HTML comments and CDATA
    "<!--<script>alert(38)</script>-->XSS38",
    "<![CDATA[<script>alert(39)</script>]]>XSS39",
    "--><script>alert(40)</script><!--XSS40",
    # Front-matter breakers
    '"\n---\ntitle: 被篡改XSS41\n---\n<script>alert(41)</script>',
    "---\ntype: home\n...\nXSS42",
    "key: value\nmalicious: <script>alert(43)</script>XSS43",
    # Jinja and template syntax
    "{{ config.extra }}XSS44{{ 7*7 }}",
    "{% for x in range(3) %}XSS45{% endfor %}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}XSS46",
    # Document-level and mutation tricks
    '<base href="//evil.example/">XSS47',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(48)">XSS48',
    '<object data="javascript:alert(49)"></object>XSS49',
    '<form action="javascript:alert(50)"><button>XSS50</button></form>',
    "XSS51\x00\x0b\x1b[31m<script>alert(51)</script>",
    '<noscript><p title="</noscript><img src=x onerror=alert(52)>">XSS52</p></noscript>',
]

#: Payloads that are URLs (XSS19–XSS26): put into links and the 权威发布 link.
URL_PAYLOADS = PAYLOADS[18:26]
assert all(re.search(r"XSS(19|2[0-6])|PHNj", p) for p in URL_PAYLOADS)


def storable(payload: str) -> str:
    """The payload as a database can hold it: PostgreSQL cannot store NUL in text, and every
    form and API field refuses it ("Null characters are not allowed"); the other control
    characters go in as typed."""
    return payload.replace("\x00", "")


def marker(payload: str) -> str:
    return re.search(r"XSS\d\d", payload).group() if re.search(r"XSS\d\d", payload) else payload


def shown(payload: str) -> str:
    """What a plain-text field shows of a payload: the text as typed, control characters
    dropped and whitespace runs as one space."""
    return " ".join(plain(payload).split())


# --------------------------------------------------------------------------- checks

SCRIPT_URL = re.compile(r"^(?:javascript|data|vbscript|livescript|mocha):", re.I)
URL_ATTRIBUTES = ("href", "src", "poster", "action", "formaction", "xlink:href", "data", "background", "cite", "srcset")
# Elements content must never bring (the theme's own search form and toggles are outside it).
FORBIDDEN_IN_CONTENT = (
    "iframe",
    "object",
    "embed",
    "base",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "svg",
    "math",
    "marquee",
    "frameset",
    "applet",
    "meta",
    "link",
    "style",
    "script",
)


# Blocks our templates add inside a page's content area: the share block draws its QR code
# as <svg> and has a copy field and button (site/overrides/partials/dj-share.html).
THEME_PARTS_IN_CONTENT = (".dj-share",)


def _url_is_scriptable(value: str) -> bool:
    compact = re.sub(r"[\x00-\x20]", "", unquote(value))
    return bool(SCRIPT_URL.match(compact))


def unsafe_markup(html: str, *, allowed_scripts: set[str], where: str, content: str | None = None) -> list[str]:
    """Everything in ``html`` that could run script or leak: an empty list when safe.
    ``content`` selects the part of a page that comes from content (elements the theme
    itself has, such as the search form, are allowed outside it)."""
    problems = []
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        src = script.get("src")
        if src is None and script.get("type") == "application/json" and script.get("id") == "__config":
            json.loads(script.string or "{}")  # data, not code; must stay valid JSON
            continue
        if src is None or src.rsplit("/", 1)[-1] not in allowed_scripts:
            problems.append(f"{where}: script not ours: {str(script)[:120]}")
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on"):
                problems.append(f"{where}: <{element.name} {name}=…>")
            if name.lower() in URL_ATTRIBUTES and _url_is_scriptable(text):
                problems.append(f"{where}: <{element.name} {name}={text[:60]!r}>")
    content_root = soup.select_one(content) if content else soup
    for theme_part in content_root.select(", ".join(THEME_PARTS_IN_CONTENT)) if content and content_root else []:
        theme_part.decompose()  # its attributes and text were checked above, like the rest
    for element in content_root.find_all(FORBIDDEN_IN_CONTENT) if content_root else []:
        if element.name == "script" and element.get("src", "").rsplit("/", 1)[-1] in allowed_scripts:
            continue
        problems.append(f"{where}: <{element.name}> from content")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        if "script" in comment.lower() or "XSS" in comment:
            problems.append(f"{where}: payload inside a comment: {comment[:60]!r}")
    for payload in PAYLOADS:
        if "<" in payload and payload in html:
            problems.append(f"{where}: {marker(payload)} unescaped")
    return problems
