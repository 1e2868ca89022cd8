"""The exporter's media rule: which images, documents and pages a body may use on the public
site, and the files content/ needs for them.

The Markdown itself comes from each block's one output rule (cms/core/block_output.py,
`render_body`); an `AssetCollector` is the `BlockMedia` it is handed at export. It decides
what is public: a private asset or a link to a non-public page never reaches content/, and
every link that becomes plain text is a `LinkProblem` for the editor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from wagtail.models import Page

from cms.core.block_output import IMAGE_RENDITION_SPEC, BlockMedia

from .links import LinkProblem, SiteLinks


@dataclass
class Asset:
    """A file content/ needs: `source` is a callable returning an open binary file."""

    path: str  # relative to content/, e.g. assets/images/12-ab12cd34ef-max1200.jpg
    open_source: Callable = field(repr=False)


def _file_digest(media) -> str:
    """Short content hash for stable asset names: a replaced file gets a new name."""
    return media.get_file_hash()[:10]


def _is_public_collection(collection) -> bool:
    return not collection.get_view_restrictions().exists()


class AssetCollector(BlockMedia):
    """Collects the assets one page uses and maps them to stable site URLs, and decides
    which of its links stay links (``links``: a dead one becomes plain text and a
    ``LinkProblem`` in ``problems``, named after ``field``, the block being rendered).

    ``dry_run`` only decides: no rendition is made and no file is read (the page editor
    uses it to list a draft's link problems)."""

    def __init__(
        self, is_page_exportable: Callable[[Page], bool], *, links: SiteLinks | None = None, dry_run: bool = False
    ):
        super().__init__()
        self.assets: dict[str, Asset] = {}
        self._is_page_exportable = is_page_exportable
        self.links = links
        self.dry_run = dry_run
        self.problems: list[LinkProblem] = []

    def _add(self, path: str, opener: Callable) -> str:
        self.assets.setdefault(path, Asset(path=path, open_source=opener))
        return "/" + path

    def image_url(self, image) -> tuple[str, int, int] | None:
        if image is None or not _is_public_collection(image.collection):
            return None
        if self.dry_run:
            return f"/assets/images/{image.pk}", image.width, image.height
        rendition = image.get_rendition(IMAGE_RENDITION_SPEC)
        suffix = PurePosixPath(rendition.file.name).suffix.lower() or ".jpg"
        path = f"assets/images/{image.pk}-{_file_digest(image)}-max1200{suffix}"
        return self._add(path, rendition.file.open), rendition.width, rendition.height

    def document_url(self, document) -> str | None:
        if document is None or not _is_public_collection(document.collection):
            return None
        suffix = PurePosixPath(document.file.name).suffix.lower()
        path = f"assets/media/{document.pk}-{_file_digest(document)}{suffix}"
        return self._add(path, document.file.open)

    def page_url(self, page) -> str | None:
        if page is None:
            return None
        page = page.specific
        return page.url if self._is_page_exportable(page) else None

    def link_problem(self, url: str) -> str | None:
        return self.links.problem(url) if self.links else None

    def dead_link(self, text: str, href: str, reason: str) -> None:
        self.problems.append(LinkProblem(self.field, text, href, reason))
