"""Output planning: every output gets a key of everything it is rendered from; outputs whose
key changed since the previous release are rendered (or copied), the rest are shared with it.

The plan is made in two steps around the renderer's own file list: ``plan_outputs`` keys
the content pages, listing pages, site pages, assets and the files the engine writes
itself (sitemap, feed); the renderer then adds its theme files (full builds only) and
``finish`` says what to render (``BuildPlan``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from build_scripts import site_pages, sitemap
from build_scripts.catalogue_state import Catalogue
from build_scripts.feed import feed_xml
from build_scripts.page_model import FEED_SIZE, GENERATED, SiteInputs, dest_for, digest
from build_scripts.site_paths import FEED, SITEMAP, SITEMAP_DIR, SITEMAP_SHARDS


@dataclass(frozen=True)
class BuildPlan:
    """What one build does, from the catalogue and the previous release's keys."""

    render: frozenset[str]  # srcs the renderer renders (pages) or copies (assets)
    changed: tuple[str, ...]  # dest of every page rendered (the search index re-reads them)
    removed: tuple[str, ...]  # dest of every output the previous release has and this one drops
    generated: dict[str, bytes]  # dest -> bytes the engine writes itself (sitemap, feed), changed only


def output_key(state: Catalogue, src: str) -> str:
    """Hash of everything a page is rendered from: what all pages share, its own source,
    its breadcrumbs and its listing. Equal keys mean byte-identical output."""
    entry = state.entries.get(src)
    if entry is not None:
        crumbs = state.section_crumbs.get(entry.section)
        if crumbs is None:  # every page of a section shares its trail
            crumbs = state.section_crumbs[entry.section] = digest(state.breadcrumbs(entry))
        source = state.digests[src]
    else:
        crumbs = state.virtual_crumbs.get(src, "")
        source = digest(state.virtual[src])
    listing = state.listings.get(src)
    listed = listing.digest if listing else ""
    return hashlib.sha1(f"{state.shared}|{source}|{crumbs}|{listed}".encode()).hexdigest()


def plan_outputs(state: Catalogue, inputs: SiteInputs) -> None:
    """Give every changed output a key of everything it is rendered from (compared with the
    previous release's keys by ``Catalogue.set_output``).

    An output whose key is unchanged is byte-identical to the previous release's copy, so
    an incremental build renders only outputs with a new key and build_scripts shares the
    rest with the previous release. A page's key covers its own source, its breadcrumbs and
    listing, and the inputs every page shares (site settings, navigation, theme): a change
    to those re-renders everything, which is what a full build would produce anyway.
    """
    for src in sorted(s for s in state.gone if s not in state.entries and s not in state.virtual):
        state.drop_output(src)
    for src in sorted(state.touched):
        if src in state.entries or src in state.virtual:
            state.set_output(src, output_key(state, src), dest_for(src))
    # Site pages (site/pages/): keyed by their file and what every page shares; an unchanged
    # record is a no-op, so they are rendered only when one of those changed.
    for src, record in site_pages.output_keys(state.site, state.shared or "", dest_for).items():
        state.set_output(src, record["key"], record["dest"])
    _plan_generated(state, inputs)


def finish(state: Catalogue) -> BuildPlan:
    """Pages to render and assets to copy (theme files only in a full build: an incremental
    one has the same theme, else it would be a full one, and they carry over)."""
    render = frozenset(src for src in state.modified if not src.startswith(GENERATED))
    state.changed = sorted(state.outputs[src]["dest"] for src in render if src.endswith(".md"))
    state.removed = sorted(d for d in state.removed_dests if d not in state.dest_owner)
    generated = {dest: data for dest, data in sorted(state.generated.items()) if GENERATED + dest in state.modified}
    return BuildPlan(render=render, changed=tuple(state.changed), removed=tuple(state.removed), generated=generated)


def _plan_generated(state: Catalogue, inputs: SiteInputs) -> None:
    """feed.xml, sitemap.xml and the sitemap shards that changed: outputs keyed by their bytes."""
    site_url = inputs.site_url or ""
    for shard in sorted(state.sitemap_dirty):
        src = f"{GENERATED}{SITEMAP_DIR}/{shard:02x}.xml"
        urls = state.sitemap[shard]
        if urls:
            _set_generated(state, src, sitemap.shard_xml(site_url, urls))
        else:
            state.drop_output(src)
    present = [s for s in range(SITEMAP_SHARDS) if state.sitemap[s]]
    _set_generated(state, GENERATED + SITEMAP, sitemap.index_xml(site_url, present))
    feed = feed_xml(inputs, state.latest.newest(FEED_SIZE))
    if feed is not None:
        _set_generated(state, GENERATED + FEED, feed)


def _set_generated(state: Catalogue, src: str, data: bytes) -> None:
    dest = src[len(GENERATED) :]
    state.set_output(src, hashlib.sha1(data).hexdigest(), dest)
    state.generated[dest] = data
