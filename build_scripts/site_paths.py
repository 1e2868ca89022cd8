"""Where the site build puts the pages it generates: tag pages, archive pages, the feed and
the sitemap. The hook (site/hooks) writes them; the CMS's link checker
(cms/publishing/links.py) needs the same rules to tell a live site URL from a dead one."""

from __future__ import annotations

import hashlib
import unicodedata

PAGE_SIZE = 20  # articles per listing page and per archive chunk
TAGS_DIR = "tags"
SITEMAP_DIR = "sitemaps"
SITEMAP_SHARDS = 64  # sitemaps/NN.xml files; a URL's shard is crc32(url) % SITEMAP_SHARDS
FEED = "feed.xml"
SITEMAP = "sitemap.xml"


def tag_slug(tag: str) -> str:
    """Stable URL segment for a tag.

    Tags are free Chinese text; a percent-encoded Chinese path turns into a long
    %E4%B8%89… string when shared in WeChat, and free text may contain "/" or "?".
    A short hash of the NFKC-normalised tag is stable across builds and machines.
    """
    norm = unicodedata.normalize("NFKC", tag).strip()
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:10]


def archive_url(base_url: str, number: int) -> str:
    """Archive page ``number`` (1 = the oldest chunk) of the listing at ``base_url``."""
    return f"{base_url}page/{number}/"


def archive_page_count(articles: int) -> int:
    """How many archive pages a listing of ``articles`` articles has: fixed chunks of
    PAGE_SIZE counted from the oldest, the newest full chunk staying on the first page."""
    return max(articles // PAGE_SIZE - 1, 0)
