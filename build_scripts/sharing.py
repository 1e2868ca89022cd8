"""The share block of a public page (``dj.share`` in the templates) and the tags that
WeChat, Weibo and other apps read when a link is shared (Open Graph, ``description``).

Built with the page: the QR code of its address is drawn here (``qr_code``), so sharing
needs no outside service and the page requests nothing from another host; the 微博 link
is only a link, followed when a reader chooses to.
"""

from __future__ import annotations

from urllib.parse import urlencode

from markupsafe import Markup

from build_scripts.html_safety import plain, safe_url
from build_scripts.qr_code import qr_svg

WEIBO_SHARE = "https://service.weibo.com/share/share.php"
DESCRIPTION_MAX = 120  # characters: what the apps show under a shared link's title
QR_LABEL = "本页网址的二维码"


def one_line(text: object, limit: int) -> str:
    text = " ".join(plain(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def absolute_image(image: object, site_url: str | None) -> str:
    """``image`` of the front matter as an absolute address, or "" (only our own assets)."""
    path = safe_url(image) if isinstance(image, str) else None
    if not path or not path.startswith("/assets/") or not site_url:
        return ""
    return site_url.rstrip("/") + path


def share_view(url: str, title: object, description: object, image_url: str = "") -> dict:
    """What the templates print of a page that can be shared from ``url`` (absolute http(s)).
    Every value is plain text or an address: the templates escape them; the QR code is
    markup we drew (its label escaped by ``qr_svg``)."""
    title = one_line(title, 200)
    query = {"url": url, "title": title}
    if image_url:
        query["pic"] = image_url
    return {
        "url": url,
        "title": title,
        "description": one_line(description, DESCRIPTION_MAX),
        "image": image_url,
        "qr_svg": Markup(qr_svg(url, label=QR_LABEL, css_class="dj-share__qr")),
        "weibo_url": f"{WEIBO_SHARE}?{urlencode(query)}",
    }
