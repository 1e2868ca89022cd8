"""The RSS 2.0 feed (``feed.xml``): the newest articles of the whole site."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from email.utils import format_datetime
from urllib.parse import urljoin, urlsplit

from build_scripts.html_safety import escape, plain, safe_url
from build_scripts.page_model import SHANGHAI, Entry, SiteInputs, log


def feed_xml(inputs: SiteInputs, articles: list[Entry]) -> bytes | None:
    """feed.xml of `articles` (newest first), or None (logged) without a site URL."""
    site_url = inputs.site_url
    if not site_url:
        log.warning("_site.yml 缺少 site_url，无法生成带绝对链接的 RSS（feed.xml）")
        return None
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    org = inputs.org_name or inputs.site_name
    ET.SubElement(channel, "title").text = plain(org)
    ET.SubElement(channel, "link").text = site_url
    ET.SubElement(channel, "description").text = f"{escape(org)} 最新发布"
    ET.SubElement(channel, "language").text = "zh-CN"
    if articles and articles[0].date:
        # The newest article's date, not the clock: a rebuild of the same content must
        # produce the same file (incremental builds are compared with full builds).
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(
            dt.datetime.combine(articles[0].date, dt.time(0, 0), SHANGHAI)
        )
    for entry in articles:
        link = urljoin(site_url, entry.url)
        canonical = safe_url(entry.meta.get("canonical_url"), allow_relative=False)
        if canonical and urlsplit(canonical).scheme.lower() in ("http", "https"):
            link = canonical
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = plain(entry.title)
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", isPermaLink="true").text = link
        if entry.date:  # (only dated articles are listed)
            ET.SubElement(item, "pubDate").text = format_datetime(
                dt.datetime.combine(entry.date, dt.time(0, 0), SHANGHAI)
            )
        if entry.meta.get("summary"):
            # RSS readers render <description> as HTML: the summary is plain text.
            ET.SubElement(item, "description").text = str(escape(entry.meta["summary"]))
        for tag in entry.tags:
            ET.SubElement(item, "category").text = plain(tag)
    ET.indent(rss)
    data: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return data
