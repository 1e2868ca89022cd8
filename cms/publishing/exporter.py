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

MANIFEST_NAME = ".manifest.json"
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


class _ManifestCache:
    """The parsed manifest and its serialised entries, kept in the process between
    publishes (the worker): parsing and re-serialising 10,000 entries on every publish
    is most of an export's cost. Valid while the file keeps the size, mtime and inode it
    had when it was read or written (a content rollback restores another one)."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.stat: tuple | None = None
        self.manifest: dict[int, dict] = {}
        self.fragments: dict[int, tuple[dict, str]] = {}  # page id -> (entry, its JSON lines)

    @staticmethod
    def stat_of(path: Path) -> tuple | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_ino)


_manifest_cache = _ManifestCache()


def _manifest_fragment(page_id: int, entry: dict) -> str:
    cached = _manifest_cache.fragments.get(page_id)
    if cached is not None and cached[0] is entry:
        return cached[1]
    # Exactly json.dumps(whole manifest, indent=1)'s lines for this entry.
    text = json.dumps({str(page_id): entry}, ensure_ascii=False, indent=1)[2:-2]
    _manifest_cache.fragments[page_id] = (entry, text)
    return text


def _fragments_in(text: str, manifest: dict[int, dict]) -> dict[int, tuple[dict, str]]:
    """The JSON lines of each entry as the manifest file holds them: the file is written
    entry by entry (``_save_manifest``), so re-serialising 100,000 entries when a worker
    starts (seconds) is not needed. Nothing when the file is laid out otherwise (written by
    hand or by other code): the lines are then made as entries are written."""
    body = text.strip()
    if not (body.startswith("{\n") and body.endswith("\n}")):
        return {}
    # Entries are separated by ',\n "': inside one, lines are indented further and strings
    # hold no raw newline, so the separator cannot occur within an entry.
    pieces = body[2:-2].split(',\n "')
    ordered = sorted(manifest)
    if len(pieces) != len(ordered):
        return {}
    fragments = {}
    for index, (page_id, piece) in enumerate(zip(ordered, pieces, strict=True)):
        fragment = piece if index == 0 else ' "' + piece
        if not fragment.startswith(f' "{page_id}": '):
            return {}
        fragments[page_id] = (manifest[page_id], fragment)
    return fragments


class Exporter:
    def __init__(self, content_dir: Path | None = None, site_url: str | None = None):
        self.content_dir = Path(content_dir or settings.CONTENT_DIR)
        self.media_store = store_for(settings.CONTENT_GIT_DIR)
        self.site_url = site_url or settings.PUBLIC_SITE_URL
        self.site = default_site()
        self.manifest_path = self.content_dir / MANIFEST_NAME
        # Every content/ path this exporter wrote, deleted or checked since the last
        # take_touched(): the commit stages those alone (ContentRepo.commit_all paths=).
        # Checked paths count too, so a retried publish whose files were already written
        # before a failed commit still gets them committed.
        self.touched: set[str] = set()

    def take_touched(self) -> set[str]:
        touched, self.touched = self.touched, set()
        return touched

    # Manifest: {page_id: {"path": str, "assets": [str]}} -----------------------------

    def load_manifest(self) -> dict[int, dict]:
        """A fresh dict (callers change it); its entries are shared, never modified in place."""
        cache = _manifest_cache
        stat = cache.stat_of(self.manifest_path)
        if stat is None:
            return {}
        if cache.path != str(self.manifest_path) or cache.stat != stat:
            text = self.manifest_path.read_text(encoding="utf-8")
            cache.path, cache.stat = str(self.manifest_path), stat
            gc.disable()  # 100,000 entries: the collector would more than double the time
            try:
                cache.manifest = {int(k): v for k, v in json.loads(text).items()}
                cache.fragments = _fragments_in(text, cache.manifest)
            finally:
                gc.enable()
        return dict(cache.manifest)

    def warm_up(self) -> None:
        """A worker's start: the manifest read (with its entries' JSON lines, taken from the
        file), and the newest page's body rendered without writing anything (Markdown, block
        templates, link checks), so the first publish pays for none of it."""
        self.load_manifest()
        newest = exportable_queryset(self.site).order_by("-last_published_at").first()
        if newest is not None:
            link_problems(newest)

    def _save_manifest(self, manifest: dict[int, dict]) -> None:
        self.touched.add(MANIFEST_NAME)
        if manifest:
            data = "{\n" + ",\n".join(_manifest_fragment(k, manifest[k]) for k in sorted(manifest)) + "\n}"
        else:
            data = "{}"
        self._write_if_changed(MANIFEST_NAME, (data + "\n").encode("utf-8"))
        cache = _manifest_cache
        cache.path, cache.stat = str(self.manifest_path), cache.stat_of(self.manifest_path)
        cache.manifest = dict(manifest)

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
        self._save_manifest(manifest)
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
