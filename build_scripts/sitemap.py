"""The sitemap: ``sitemap.xml`` is an index of ``sitemaps/NN.xml`` shards by URL hash, so a
publish rewrites one or two small shards instead of one file of every URL. The catalogue
keeps each shard's URLs (url -> lastmod) and which shards changed this build."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as xml_escape

from build_scripts.page_model import Entry
from build_scripts.site_paths import SITEMAP_DIR, SITEMAP_SHARDS

if TYPE_CHECKING:
    from build_scripts.catalogue_state import Catalogue


def shard_of(url: str) -> int:
    return zlib.crc32(url.encode("utf-8")) % SITEMAP_SHARDS


def put_entry(state: Catalogue, entry: Entry) -> None:
    """A content page, with an article's date as its lastmod."""
    put_url(state, entry.url, entry.date.isoformat() if entry.date else "")


def put_url(state: Catalogue, url: str, lastmod: str) -> None:
    shard = shard_of(url)
    if state.sitemap[shard].get(url) != lastmod:
        state.sitemap[shard][url] = lastmod
        state.sitemap_dirty.add(shard)


def drop_url(state: Catalogue, url: str) -> None:
    shard = shard_of(url)
    if state.sitemap[shard].pop(url, None) is not None:
        state.sitemap_dirty.add(shard)


def shard_xml(site_url: str, urls: dict[str, str]) -> bytes:
    """One sitemap shard: its pages, with an article's date as its lastmod."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url in sorted(urls):
        lastmod = urls[url]
        lines.append(
            f"  <url><loc>{xml_escape(site_url + url)}</loc>"
            + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
            + "</url>"
        )
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def index_xml(site_url: str, shards: list[int]) -> bytes:
    """sitemap.xml: an index of the shards (one file of every URL would be rewritten on
    every publish; a shard holds the pages whose URL hashes to it)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for shard in shards:
        lines.append(f"  <sitemap><loc>{xml_escape(site_url)}{SITEMAP_DIR}/{shard:02x}.xml</loc></sitemap>")
    lines.append("</sitemapindex>\n")
    return "\n".join(lines).encode("utf-8")
