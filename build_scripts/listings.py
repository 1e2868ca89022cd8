"""Listing pages: each section's articles, tag pages, the tag index and the home page, with
stable pagination (archive pages are fixed chunks counted from the oldest article).

A listing is generated as a virtual page (its Markdown source is ``page_model.virtual_page``)
unless the listing belongs to a content page (a section's or the home page's index), and is
remade only when what it shows changes (``Listing.memo``), so an output key changes only
for pages that look different.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from build_scripts import sitemap
from build_scripts.page_model import (
    HOME_LATEST,
    ContentError,
    Group,
    Listing,
    archive_src,
    digest,
    format_range,
    url_for,
    virtual_page,
)
from build_scripts.site_paths import PAGE_SIZE, TAGS_DIR, archive_page_count, archive_url

if TYPE_CHECKING:  # (catalogue calls in here: only the type is needed)
    from build_scripts.catalogue_state import Catalogue


def _group_crumbs(state: Catalogue, group: Group) -> list[dict[str, str]]:
    """Breadcrumbs of a group's generated pages (as the renderer shows them)."""
    if group.kind == "section":
        base = state.entries[group.base_src]
        return state.breadcrumbs(base) + [{"title": base.title, "url": base.url}]
    return [{"title": "首页", "url": ""}, {"title": "标签", "url": f"{TAGS_DIR}/"}]


def paginate(state: Catalogue, group: Group) -> None:
    """(Re)make a group's listing pages with stable pagination.

    Archive pages are fixed chunks of PAGE_SIZE articles counted from the oldest: page 1
    holds the oldest twenty. The first page (the section page itself, or the tag page)
    shows the newest articles that fill no archive page plus the newest full chunk (20–39
    articles), and links every archive page. So a new article changes the first page, and
    every twentieth one also adds an archive page and relinks the previous one; an old
    article's edit changes its own chunk only. Pages whose articles and links are
    unchanged (compared by identity, ``Listing.memo``) keep their listing and key.
    """
    items = group.items
    if group.kind == "tag":
        group.title = f"标签：{state.tag_name(group.base_src[len(TAGS_DIR) + 1 : -3])}"
    full = len(items) // PAGE_SIZE
    archive_count = archive_page_count(len(items))
    chunks = [items[(k - 1) * PAGE_SIZE : k * PAGE_SIZE] for k in range(1, archive_count + 1)]
    labels = [format_range(_date(chunk[0]), _date(chunk[-1])) for chunk in chunks]
    crumbs = None
    made = []
    for number, chunk in enumerate(chunks, start=1):
        src = archive_src(group.base_src, number)
        made.append(src)
        memo: tuple[Any, ...] = ("archive", group.title, number, number < archive_count, tuple(chunk))
        if _same(state, src, memo):
            continue
        pager = {
            "newest": group.base_url,
            "newer": archive_url(group.base_url, number + 1) if number < archive_count else group.base_url,
            "older": archive_url(group.base_url, number - 1) if number > 1 else None,
            "oldest": archive_url(group.base_url, 1) if number > 2 else None,
        }
        crumbs = crumbs or digest(_group_crumbs(state, group))
        put_page(
            state,
            src,
            Listing(
                kind=group.kind,
                items=chunk[::-1],
                base_url=group.base_url,
                pager=pager,
                label=labels[number - 1],
                memo=memo,
            ),
            virtual=virtual_page(f"{group.title}（{labels[number - 1]}）"),
            crumbs=crumbs,
        )
    first = items[(full - 1) * PAGE_SIZE :] if full >= 1 else items
    src = group.base_src
    made.append(src)
    memo = ("first", group.title, tuple(first), tuple(labels), tuple(group.subsections))
    if not _same(state, src, memo):
        first_pager: dict[str, str | None] | None = None
        if archive_count:
            first_pager = {
                "newest": None,
                "newer": None,
                "older": archive_url(group.base_url, archive_count),
                "oldest": archive_url(group.base_url, 1) if archive_count > 1 else None,
            }
        archive = [{"url": archive_url(group.base_url, n), "label": labels[n - 1]} for n in range(archive_count, 0, -1)]
        listing = Listing(
            kind=group.kind,
            items=first[::-1],
            base_url=group.base_url,
            subsections=group.subsections,
            pager=first_pager,
            archive=archive,
            memo=memo,
        )
        if group.generate_first:
            crumbs = crumbs or digest(_group_crumbs(state, group))
            put_page(state, src, listing, virtual=virtual_page(group.title), crumbs=crumbs)
        else:
            state.listings[src] = listing
            state.touched.add(src)
    for src in set(group.page_srcs) - set(made):
        drop_page(state, src)
    group.page_srcs = made


def _date(entry: Any) -> Any:
    return entry.date  # listed articles always have one (undated ones are not listed)


def _same(state: Catalogue, src: str, memo: tuple[Any, ...]) -> bool:
    listing = state.listings.get(src)
    return listing is not None and listing.memo == memo


def put_page(state: Catalogue, src: str, listing: Listing, *, virtual: str, crumbs: str) -> None:
    """A generated listing page, new or changed."""
    if src in state.entries:
        raise ContentError(f"{src}: 与自动生成的列表页冲突，请修改该页面的网址")
    if src not in state.virtual:
        sitemap.put_url(state, url_for(src), "")
    state.listings[src] = listing
    state.virtual[src] = virtual
    state.virtual_crumbs[src] = crumbs
    state.touched.add(src)


def drop_page(state: Catalogue, src: str) -> None:
    if src in state.virtual:
        sitemap.drop_url(state, url_for(src))
    state.listings.pop(src, None)
    state.virtual.pop(src, None)
    state.virtual_crumbs.pop(src, None)
    state.gone.add(src)


def tags_index(state: Catalogue) -> None:
    counted = [(len(group.items), state.tag_name(slug), slug) for slug, group in state.tag_groups.items()]
    tag_index: list[dict[str, Any]] = [
        {"name": name, "url": f"{TAGS_DIR}/{slug}/", "count": count}
        for count, name, slug in sorted(counted, key=lambda t: (-t[0], t[1]))
    ]
    src = f"{TAGS_DIR}/index.md"
    memo = ("tags", json.dumps(tag_index, ensure_ascii=False, sort_keys=True))
    if not _same(state, src, memo):
        put_page(
            state,
            src,
            Listing(kind="tags", items=[], tags=tag_index, memo=memo),
            virtual=virtual_page("标签"),
            crumbs=digest([{"title": "首页", "url": ""}]),
        )


def home(state: Catalogue) -> None:
    items = state.latest.newest(HOME_LATEST)
    memo = ("home", tuple(items), tuple(state.nav_sections))
    if not _same(state, "index.md", memo):
        state.listings["index.md"] = Listing(
            kind="home", items=items, subsections=state.nav_sections, base_url="", memo=memo
        )
        state.touched.add("index.md")
