"""Write live public pages to content/ as Markdown with YAML front matter.

The exporter owns content/ (apart from its README). It keeps a manifest of which page wrote
which files so a change can be applied to just the pages it affects: the changed page and its
subtree, plus pages that no longer exist.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.utils import timezone
from wagtail.models import Page, Site

from build_scripts.html_safety import markdown_text
from build_scripts.media_store import is_media_path, read_pointer, store_for
from cms.core.block_output import render_body
from cms.core.models import ArticlePage, SiteSettings
from cms.feedback.models import MEMBER_ONLY_TYPES, FeedbackFormPage
from cms.feedback.selectors import form_definition
from cms.openness.models import HomePage, SectionPage

from .exportable import EXPORTED_TYPES, default_site, exportable_queryset, is_exportable
from .links import LinkProblem, SiteLinks
from .markdown import Asset, AssetCollector

MANIFEST_DIR = ".manifest"
LEGACY_MANIFEST_NAME = ".manifest.json"  # one file, before the manifest was sharded
# What `.manifest.json` holds once the manifest is sharded: a program from before the
# sharding (a code rollback, an old worker still running during an upgrade) that found no
# file would take the manifest for empty and write one with only its own pages, and every
# other page would stay public when unpublished. This key makes its `int(key)` fail loudly.
SHARDED_MARKER_KEY = "the manifest is sharded in .manifest/: this program is older than content/"
SHARDED_MARKER = json.dumps({SHARDED_MARKER_KEY: MANIFEST_DIR + "/"}) + "\n"
SITE_SETTINGS_NAME = "_site.yml"
MANAGED_TOP_LEVEL = {"README.md"}  # files the exporter never touches


@dataclass
class ExportedPage:
    page_id: int
    path: str  # relative to content/
    text: str
    assets: dict[str, Asset] = field(default_factory=dict)
    # Links that became plain text (the editor sees the same list in the page editor).
    link_problems: list[LinkProblem] = field(default_factory=list)


def collector_for(page: Page, site: Site, *, content_dir=None, dry_run: bool = False) -> AssetCollector:
    """The AssetCollector that exports `page`: its links are checked against the public
    site (its own anchors are its headings)."""
    links = SiteLinks(site, is_exportable, body=getattr(page, "body", None), content_dir=content_dir)
    return AssetCollector(is_page_exportable=is_exportable, links=links, dry_run=dry_run)


def link_problems(page: Page) -> list[LinkProblem]:
    """What the exporter would do to this version of `page`'s links (dead ones become plain
    text), without writing anything: for the editor and the reviewer."""
    page = page.specific
    if not isinstance(page, ArticlePage):
        return []
    collector = collector_for(page, default_site(), dry_run=True)
    render_body(collector, page.body)
    return collector.problems


def share_image_path(page: ArticlePage, collector: AssetCollector) -> str | None:
    """The site path of the picture that stands for ``page`` where it is shared (front
    matter ``image``: Open Graph, 微博; the cover of its robot news card): the first of
    ``share_image_candidates`` that is in a public collection, as the export names it."""
    for image in page.share_image_candidates():
        found = collector.image_url(image)
        if found:
            return found[0]
    return None


def exportable_versions(versions: dict[int, Page | None], site: Site) -> dict[int, Page]:
    """The page versions (e.g. the revision a change published, see `Exporter.sync`) that
    may be exported: the page is still placed publicly (under the site, no view restriction
    on it or above it, an exported type: what holds now, so a restriction added since wins)
    and the version itself is neither expired nor scheduled for later. Whether the page is
    live *now* does not matter: it was when that version was published."""
    wanted = {pk: page for pk, page in versions.items() if page is not None}
    if not wanted:
        return {}
    placed = set(
        Page.objects.descendant_of(site.root_page, inclusive=True)
        .public()
        .type(*EXPORTED_TYPES)
        .filter(pk__in=list(wanted))
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    return {
        pk: page
        for pk, page in wanted.items()
        if pk in placed
        and (page.expire_at is None or page.expire_at > now)
        and (page.go_live_at is None or page.go_live_at <= now)
    }


def content_path_for(page: Page, site: Site) -> str:
    """content/ path of a page: mirrors the URL so site URLs equal CMS URLs."""
    parts = page.relative_url(site).strip("/")
    specific = page.specific
    if isinstance(specific, (HomePage, SectionPage)):
        return f"{parts}/index.md" if parts else "index.md"
    return f"{parts}.md"


def _front_matter(data: dict) -> str:
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000) + "---\n"


def render_page(page: Page, site: Site, site_url: str, collector: AssetCollector) -> ExportedPage:
    page = page.specific
    meta: dict = {"title": page.title, "page_id": page.pk}
    if isinstance(page, HomePage):
        meta |= {"type": "home", "intro": page.intro, "order": 0}
        body = markdown_text(page.intro)  # plain text typed by an editor: literal, never markup
    elif isinstance(page, SectionPage):
        meta |= {"type": "section", "intro": page.intro, "order": _sibling_position(page)}
        body = markdown_text(page.intro)
    elif isinstance(page, FeedbackFormPage):
        meta |= _form_meta(page, site, site_url)
        body = markdown_text(page.intro)
    else:
        meta |= {
            "type": page._meta.model_name.removesuffix("page"),
            "type_label": page.type_label,
            "date": page.date.isoformat(),
            "tags": sorted(tag.name for tag in page.tags.all()),
            "category": page.category.name if getattr(page, "category_id", None) else None,
            "issuing_unit": page.issuing_unit.name if page.issuing_unit_id else None,
            "canonical_url": site_url.rstrip("/") + page.relative_url(site),
            "summary": page.summary,
        }
        if getattr(page, "source", ""):
            meta["source"] = page.source
        body = render_body(collector, page.body)
        image = share_image_path(page, collector)
        if image:
            meta["image"] = image
        # What an article type adds around its body (ArticlePage.export_preamble/_appendix):
        # plain text before it (the question of a 常见问题 page), escaped here, and Markdown
        # after it (the ranking table of a 竞赛成绩公布 page), escaped where it is built.
        preamble = page.export_preamble().strip()
        if preamble:
            body = markdown_text(preamble) + "\n\n" + body
        appendix = page.export_appendix().strip()
        if appendix:
            body = f"{body.rstrip()}\n\n{appendix}" if body.strip() else appendix
    return ExportedPage(
        page_id=page.pk,
        path=content_path_for(page, site),
        text=_front_matter(meta) + "\n" + (body.strip() + "\n" if body.strip() else ""),
        assets=collector.assets,
        link_problems=collector.problems,
    )


def _form_meta(page: FeedbackFormPage, site: Site, site_url: str) -> dict:
    """Front matter of a public form: listed in its section like an article (``date`` is when
    it was first published, so re-exports keep its place), and ``dj_form``, the published
    definition the build renders the form from (build_scripts/public_forms.py checks it)."""
    published = page.first_published_at or page.last_published_at or timezone.now()
    fields = [field for field in form_definition(page) if field["type"] not in MEMBER_ONLY_TYPES]
    # (The editor form refuses file and peer-review questions under a section; should an older
    # form still have one, it is left out rather than breaking the build of every page.)
    return {
        "type": "form",
        "type_label": page.get_kind_display(),
        "date": timezone.localtime(published).date().isoformat(),
        "tags": [],
        "canonical_url": site_url.rstrip("/") + page.relative_url(site),
        "summary": " ".join(page.intro.split())[:200],
        "dj_form": {
            "id": page.pk,
            "kind": page.kind,
            "kind_label": page.get_kind_display(),
            "intro": page.intro,
            "thank_you_text": page.thank_you_text,
            "opens_at": timezone.localtime(page.opens_at).isoformat() if page.opens_at else None,
            "closes_at": timezone.localtime(page.closes_at).isoformat() if page.closes_at else None,
            "fields": fields,
        },
    }


def _sibling_position(page: Page) -> int:
    # Path order is the editor-visible order in the Wagtail explorer.
    return Page.objects.sibling_of(page, inclusive=True).filter(path__lt=page.path).count() + 1


@contextmanager
def _atomic_file(path: Path):
    """A binary file handle whose content replaces `path` only if the block completes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _atomic_write(path: Path, data: bytes) -> None:
    with _atomic_file(path) as handle:
        handle.write(data)


#: The manifest is sharded by page id so that a publish rewrites (and commits) one small
#: file instead of an entry list that grows with the site (9 MB at 100,000 pages).
MANIFEST_SHARDS = 256


def manifest_shard(page_id: int) -> str:
    """The shard file (relative to content/) that holds `page_id`'s manifest entry."""
    return f"{MANIFEST_DIR}/{page_id % MANIFEST_SHARDS:02x}.json"


def is_manifest_path(path: str) -> bool:
    """Whether a content/ path is the manifest's (bookkeeping, not a page of the site)."""
    return path == LEGACY_MANIFEST_NAME or path.startswith(f"{MANIFEST_DIR}/")


def _stat_of(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _legacy_entries(text: str) -> dict[int, dict] | None:
    """The entries of a `.manifest.json` from before the sharding; None for the marker."""
    if SHARDED_MARKER_KEY in text:
        return None
    return _parse_entries(text)


def _parse_entries(text: str) -> dict[int, dict]:
    gc.disable()  # many small dicts: the collector would more than double the time
    try:
        return {int(k): v for k, v in json.loads(text).items()}
    finally:
        gc.enable()


class _ManifestCache:
    """The parsed shards, kept in the process between publishes (the worker): parsing the
    whole manifest on every publish would cost more than the publish. Each shard is valid
    while its file keeps the size, mtime and inode it had when it was read or written (a
    content rollback restores other files)."""

    def __init__(self) -> None:
        self.content_dir: Path | None = None
        self.shards: dict[str, tuple[tuple, dict[int, dict]]] = {}  # shard path -> (stat, entries)
        self.legacy: tuple[tuple, dict[int, dict] | None] | None = None  # (stat, None: the marker)
        self.merged: dict[int, dict] | None = None  # every entry, while no shard changed

    def reset_for(self, content_dir: Path) -> None:
        if self.content_dir != content_dir:
            self.__init__()
            self.content_dir = content_dir


_manifest_cache = _ManifestCache()


def manifest_entry(content_dir: Path, page_id: int) -> dict | None:
    """One page's manifest entry, read from its shard alone (or the legacy single file)."""
    try:
        legacy = (content_dir / LEGACY_MANIFEST_NAME).read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    else:
        entries = _legacy_entries(legacy)
        if entries is not None:
            return entries.get(page_id)
    try:
        shard = (content_dir / manifest_shard(page_id)).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return json.loads(shard).get(str(page_id))


class Exporter:
    def __init__(self, content_dir: Path | None = None, site_url: str | None = None):
        self.content_dir = Path(content_dir or settings.CONTENT_DIR)
        self.media_store = store_for(settings.CONTENT_GIT_DIR)
        self.site_url = site_url or settings.PUBLIC_SITE_URL
        self.site = default_site()
        # Every content/ path this exporter wrote, deleted or checked since the last
        # take_touched(): the commit stages those alone (ContentRepo.commit_all paths=).
        # Checked paths count too, so a retried publish whose files were already written
        # before a failed commit still gets them committed.
        self.touched: set[str] = set()

    def take_touched(self) -> set[str]:
        touched, self.touched = self.touched, set()
        return touched

    # Manifest: {page_id: {"path": str, "assets": [str]}}, in MANIFEST_SHARDS files -----

    def load_manifest(self) -> dict[int, dict]:
        """A fresh dict (callers change it); its entries are shared, never modified in place.

        content/ written before the manifest was sharded (or rolled back to such a commit)
        holds one `.manifest.json`: it is read as it is, and the next write replaces it by
        the shards and SHARDED_MARKER."""
        cache = _manifest_cache
        cache.reset_for(self.content_dir)
        legacy_path = self.content_dir / LEGACY_MANIFEST_NAME
        legacy_stat = _stat_of(legacy_path)
        if legacy_stat is None:
            if cache.legacy is not None:
                cache.legacy, cache.merged = None, None
        elif cache.legacy is None or cache.legacy[0] != legacy_stat:
            cache.legacy = (legacy_stat, _legacy_entries(legacy_path.read_text(encoding="utf-8")))
            cache.merged = None
        if cache.legacy is not None and cache.legacy[1] is not None:
            return dict(cache.legacy[1])
        shard_dir = self.content_dir / MANIFEST_DIR
        present: dict[str, tuple] = {}
        if shard_dir.is_dir():
            with os.scandir(shard_dir) as entries:
                for entry in entries:
                    if entry.name.endswith(".json") and not entry.name.startswith("."):
                        st = entry.stat()
                        present[f"{MANIFEST_DIR}/{entry.name}"] = (st.st_size, st.st_mtime_ns, st.st_ino)
        for name in list(cache.shards):
            if name not in present:
                del cache.shards[name]
                cache.merged = None
        for name, stat in present.items():
            cached = cache.shards.get(name)
            if cached is None or cached[0] != stat:
                text = (self.content_dir / name).read_text(encoding="utf-8")
                cache.shards[name] = (stat, _parse_entries(text))
                cache.merged = None
        if cache.merged is None:
            cache.merged = {}
            for _stat, entries in cache.shards.values():
                cache.merged.update(entries)
        return dict(cache.merged)

    def warm_up(self) -> None:
        """A worker's start: the manifest read, and the newest page's body rendered without
        writing anything (Markdown, block templates, link checks), so the first publish pays
        for none of it."""
        self.load_manifest()
        newest = exportable_queryset(self.site).order_by("-last_published_at").first()
        if newest is not None:
            link_problems(newest)

    def _save_manifest(self, manifest: dict[int, dict], changed: set[int] | None) -> None:
        """Write the shards holding the `changed` page ids (None: every shard), from
        `manifest` (what load_manifest gave, with those ids updated)."""
        cache = _manifest_cache  # as load_manifest left it for `manifest`
        legacy = cache.legacy is not None and cache.legacy[1] is not None
        if changed is None or legacy:
            by_shard: dict[str, dict[int, dict]] = {}
            for page_id, entry in manifest.items():
                by_shard.setdefault(manifest_shard(page_id), {})[page_id] = entry
            stale = {name for name in cache.shards if name not in by_shard}
            shard_dir = self.content_dir / MANIFEST_DIR
            if shard_dir.is_dir():  # files no entry maps to any more (or left by hand)
                stale |= {f"{MANIFEST_DIR}/{f.name}" for f in shard_dir.iterdir()} - set(by_shard)
        else:
            by_shard = {}
            for page_id in changed:
                name = manifest_shard(page_id)
                if name not in by_shard:  # the other pages' entries from the file itself, not the
                    # cache: one small file, and a stale cache would be committed back
                    by_shard[name] = self._read_shard(name)
                if page_id in manifest:
                    by_shard[name][page_id] = manifest[page_id]
                else:
                    by_shard[name].pop(page_id, None)
            stale = {name for name, entries in by_shard.items() if not entries}
        for name in sorted(stale):
            self._remove(name)
            cache.shards.pop(name, None)
        for name, entries in sorted(by_shard.items()):
            if not entries:
                continue
            data = json.dumps({str(k): entries[k] for k in sorted(entries)}, ensure_ascii=False, indent=1)
            self._write_if_changed(name, (data + "\n").encode("utf-8"))
            cache.shards[name] = (_stat_of(self.content_dir / name), entries)
        if cache.legacy is None or legacy:
            self._write_if_changed(LEGACY_MANIFEST_NAME, SHARDED_MARKER.encode())
            cache.legacy = (_stat_of(self.content_dir / LEGACY_MANIFEST_NAME), None)
        cache.merged = dict(manifest)

    def _read_shard(self, name: str) -> dict[int, dict]:
        try:
            return _parse_entries((self.content_dir / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    # Writing -------------------------------------------------------------------------

    def _write_if_changed(self, relative: str, data: bytes) -> None:
        self.touched.add(relative)
        target = self.content_dir / relative
        if target.exists() and target.read_bytes() == data:
            return
        _atomic_write(target, data)

    def _copy_asset(self, asset: Asset) -> None:
        """Images are copied into content/; video, audio and documents go to the media
        store beside the repository and content/ gets their pointer (build_scripts/
        media_store.py): the history never holds a recording."""
        self.touched.add(asset.path)
        target = self.content_dir / asset.path
        if not is_media_path(asset.path):
            if not target.exists():  # names carry the file hash, so an existing file is current
                with _atomic_file(target) as out, asset.open_source("rb") as src:
                    shutil.copyfileobj(src, out)
            return
        pointer = read_pointer(target) if target.exists() else None
        if pointer is not None and self.media_store.has(pointer.oid):
            return
        # New; or committed whole by an earlier version (stored from content/'s own bytes,
        # exactly what was published); or its object is gone (purged, then the content rolled
        # back and the page published again): stored again.
        whole = target.exists() and pointer is None
        with open(target, "rb") if whole else asset.open_source("rb") as src:
            pointer = self.media_store.put(src, asset.path)
        _atomic_write(target, pointer.text())

    def _remove(self, relative: str) -> None:
        self.touched.add(relative)
        target = self.content_dir / relative
        target.unlink(missing_ok=True)
        parent = target.parent
        while parent != self.content_dir and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    def write_site_settings(self) -> None:
        values = SiteSettings.for_site(self.site)
        announcement = None
        if values.announcement_text.strip():
            announcement = {"text": values.announcement_text.strip(), "url": values.announcement_link.strip()}
        data = {
            "org_name": values.org_name,
            "icp_number": values.icp_number.strip(),
            "announcement": announcement,
            "site_url": self.site_url,
        }
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        self._write_if_changed(SITE_SETTINGS_NAME, text.encode("utf-8"))

    def sync(self, scope_page_ids: set[int] | None = None, versions: dict[int, Page | None] | None = None) -> None:
        """Bring content/ in line with the database for the pages in scope (None = all).

        A page in scope that is no longer exportable (unpublished, restricted, deleted) has
        its files removed; pages outside the scope are not looked at. `versions` replaces
        the live row of some pages in scope by another state of the page: a page object
        (the revision a change published; see `exportable_versions`) or None (absent).
        """
        self.content_dir.mkdir(parents=True, exist_ok=True)
        manifest = self.load_manifest()
        pages = exportable_queryset(self.site).specific()
        scope = None if scope_page_ids is None else set(scope_page_ids)
        if scope is not None:
            pages = pages.filter(pk__in=scope)
        if versions:
            versions = {pk: v for pk, v in versions.items() if scope is None or pk in scope}
            pages = [page for page in pages if page.pk not in versions]
            pages += exportable_versions(versions, self.site).values()

        exported: dict[int, ExportedPage] = {}
        for page in pages:
            collector = collector_for(page, self.site, content_dir=self.content_dir)
            exported[page.pk] = render_page(page, self.site, self.site_url, collector)

        candidates = manifest if scope is None else scope
        stale_ids = [pid for pid in candidates if pid in manifest and pid not in exported]
        dropped_assets: set[str] = set()  # assets pages in scope used before this sync
        exported_paths = {e.path for e in exported.values()}
        for page_id in sorted(stale_ids):
            entry = manifest.pop(page_id)
            dropped_assets.update(entry["assets"])
            if entry["path"] not in exported_paths:
                self._remove(entry["path"])

        for page_id, page in exported.items():
            old = manifest.get(page_id)
            if old:
                dropped_assets.update(old["assets"])
                if old["path"] != page.path:
                    self._remove(old["path"])
            for asset in page.assets.values():
                self._copy_asset(asset)
            self._write_if_changed(page.path, page.text.encode("utf-8"))
            entry = {"path": page.path, "assets": sorted(page.assets)}
            manifest[page_id] = old if old == entry else entry  # unchanged: keep the cached one

        if scope is None:
            self._remove_unused_assets(manifest)
        else:
            self._remove_dropped_assets(manifest, dropped_assets)
        self._save_manifest(manifest, None if scope is None else set(stale_ids) | set(exported))
        self.write_site_settings()

    def _remove_unused_assets(self, manifest: dict[int, dict]) -> None:
        used = {path for entry in manifest.values() for path in entry["assets"]}
        assets_dir = self.content_dir / "assets"
        if not assets_dir.exists():
            return
        for file in sorted(assets_dir.rglob("*")):
            if file.is_file() and file.relative_to(self.content_dir).as_posix() not in used:
                self._remove(file.relative_to(self.content_dir).as_posix())

    def _remove_dropped_assets(self, manifest: dict[int, dict], dropped: set[str]) -> None:
        """Delete the assets that the pages in scope no longer use and no other page uses:
        only those can have become unused, so a publish does not list content/assets/."""
        if not dropped:
            return
        used = {path for entry in manifest.values() for path in entry["assets"]}
        for path in sorted(dropped - used):
            self._remove(path)

    def affected_page_ids(self, page_id: int | None, *, whole_subtree: bool) -> set[int]:
        """Pages whose files a change to `page_id` can alter.

        Publishing touches the page alone unless its URL changed (a new slug moves every
        descendant); unpublish, move, delete and privacy changes reach the whole subtree.
        """
        if page_id is None:
            return set()
        page = Page.objects.filter(pk=page_id).first()
        if page is None:
            return {page_id}
        if not whole_subtree:
            exported = self.load_manifest().get(page_id)
            if exported is None or exported["path"] == content_path_for(page, self.site):
                return {page_id}
        return set(Page.objects.descendant_of(page, inclusive=True).values_list("pk", flat=True))
