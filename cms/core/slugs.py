"""Slugs the public site cannot give to a page."""

# URL segments the public site or the application already uses (docs/content-format.md).
RESERVED_SLUGS = frozenset(
    {
        "tags",
        "page",
        "index",
        "assets",
        "search",
        "feed",
        "sitemap",
        "admin",
        "api",
        "documents",
        "static",
        "media",
        "member",
        "help",
        "report",
        "404",
    }
)
