"""Reads for the release, content-history and page-history screens (no writes here).

Everything comes from two places that outlive the CMS database: the release directories
(`build_scripts.site_build`) and content/'s git history (`ContentRepo`); SiteBuild rows add
who switched or rolled back, when the database has them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import git
from django.conf import settings

from build_scripts.content_repo import ContentRepo
from build_scripts.site_build import Release, current_release, list_releases

from .exporter import is_manifest_path
from .models import ContentChange, SiteBuild

# Commits of one release shown in the list; the rest are summarised as a count.
RELEASE_COMMITS_SHOWN = 8
RELEASE_COMMITS_COUNTED = 200


def content_repo() -> ContentRepo:
    from .services import content_repo as open_repo

    return open_repo()


def parse_time(value: str | None) -> dt.datetime | None:
    """ISO 8601 from release.json or git → aware datetime (templates show it in Asia/Shanghai)."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _decorate(entry: dict) -> dict:
    """Add what templates need to a ContentRepo log entry."""
    message = entry["message"]
    entry = dict(entry)
    entry["subject"] = message.splitlines()[0] if message else "（无说明）"
    entry["body"] = "\n".join(message.splitlines()[1:]).strip()
    entry["short"] = entry["sha"][:8]
    entry["when"] = parse_time(entry["date"])
    entry["committed_by_other"] = entry["committer_name"] != entry["author_name"]
    return entry


# ----------------------------------------------------------------------------- releases


@dataclass
class ReleaseRow:
    release: Release
    is_current: bool
    when: dt.datetime | None
    build: SiteBuild | None
    commits: list[dict] = field(default_factory=list)
    more_commits: int = 0
    more_is_lower_bound: bool = False
    changed_pages: list[str] = field(default_factory=list)
    known_range: bool = True  # False when the previous release's commit is unknown

    @property
    def short_commit(self) -> str:
        return (self.release.commit or "")[:8]


def _previous_commit(release: Release, build: SiteBuild | None, older: Release | None) -> str | None:
    """The content commit the site was built from just before this release."""
    if build is not None:
        previous = (
            SiteBuild.objects.filter(status=SiteBuild.Status.SUCCEEDED, started_at__lt=build.started_at)
            .exclude(kind=SiteBuild.Kind.SWITCH)
            .exclude(commit="")
            .order_by("-started_at", "-id")
            .first()
        )
        if previous is not None:
            return previous.commit
    return older.commit if older is not None else None


def releases_overview() -> list[ReleaseRow]:
    """Kept releases, newest first: when, from which commit, and what changed since the one
    before (commits with their authors, and the page files they touched)."""
    releases_dir = Path(settings.SITE_RELEASES_DIR)
    releases = list_releases(releases_dir)
    current = current_release(releases_dir)
    builds = {
        b.release: b
        for b in SiteBuild.objects.filter(release__in=[r.name for r in releases])
        .exclude(kind=SiteBuild.Kind.SWITCH)
        .select_related("actor")
    }
    repo = content_repo()
    rows = []
    for index, release in enumerate(releases):
        older = releases[index + 1] if index + 1 < len(releases) else None
        build = builds.get(release.name)
        row = ReleaseRow(
            release=release,
            is_current=bool(current and current.name == release.name),
            when=parse_time(release.time),
            build=build,
        )
        if release.commit:
            since = _previous_commit(release, build, older)
            row.known_range = since is not None
            try:
                if since != release.commit:
                    commits = repo.commits_between(since, release.commit, max_count=RELEASE_COMMITS_COUNTED + 1)
                    row.commits = [_decorate(c) for c in commits[:RELEASE_COMMITS_SHOWN]]
                    row.more_commits = max(0, min(len(commits), RELEASE_COMMITS_COUNTED) - RELEASE_COMMITS_SHOWN)
                    row.more_is_lower_bound = len(commits) > RELEASE_COMMITS_COUNTED
                    if since is not None:
                        row.changed_pages = [
                            p
                            for p in repo.changed_paths(since, release.commit)
                            if p.endswith(".md") and p != "README.md"
                        ]
            except (git.GitCommandError, ValueError):
                row.known_range = False  # commit from another repository or garbage-collected
        rows.append(row)
    return rows


def rollback_actions(limit: int = 10) -> list[SiteBuild]:
    """Recent switches and content rollbacks (the audit trail shown under the releases)."""
    return list(SiteBuild.objects.exclude(kind=SiteBuild.Kind.BUILD).select_related("actor")[:limit])


def pending_change_count() -> int:
    return ContentChange.objects.filter(processed_at__isnull=True).count()


# ----------------------------------------------------------------------------- content log


class CommitLog:
    """content/'s history as a lazily paged sequence, for Django's Paginator."""

    def __init__(self, repo: ContentRepo):
        self.repo = repo
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self.repo.commit_count()
        return self._count

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("CommitLog only supports slices")
        start, stop = key.start or 0, key.stop if key.stop is not None else len(self)
        if stop <= start:
            return []
        return [_decorate(e) for e in self.repo.log(max_count=stop - start, skip=start)]


_TITLE = re.compile(r"^title:\s*(.+?)\s*$", re.MULTILINE)


def _title_at(repo: ContentRepo, sha: str, path: str) -> str:
    try:
        match = _TITLE.search(repo.show_file(sha, path).split("\n---", 1)[0])
    except (FileNotFoundError, UnicodeDecodeError):
        return ""
    return match.group(1).strip("'\"") if match else ""


def commit_details(repo: ContentRepo, sha: str, titles: int = 50) -> dict:
    """A commit, plus what rolling content back to it changes compared with HEAD: the files
    that differ, pages that would come back (deleted/unpublished/made private since) and
    pages that would disappear (first published since)."""
    entry = _decorate(repo.commits_between(None, sha, max_count=1)[0])
    head = repo.head()
    entry["is_head"] = sha == head
    changed = repo.changed_paths(head, sha) if head and head != sha else []
    entry["changed_vs_head"] = [p for p in changed if not is_manifest_path(p)]
    entry["reappearing"], entry["disappearing"] = [], []
    if changed:
        pages = [p for p in changed if p.endswith(".md") and p != "README.md"]
        at_head = set(repo.changed_paths(None, head))
        at_target = set(repo.changed_paths(None, sha))
        back = [p for p in pages if p not in at_head and p in at_target]
        gone = [p for p in pages if p in at_head and p not in at_target]
        entry["reappearing"] = [
            {"path": p, "title": _title_at(repo, sha, p) if i < titles else ""} for i, p in enumerate(back)
        ]
        entry["disappearing"] = [
            {"path": p, "title": _title_at(repo, head, p) if i < titles else ""} for i, p in enumerate(gone)
        ]
    return entry


def release_names_by_commit() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for release in list_releases(Path(settings.SITE_RELEASES_DIR)):
        if release.commit:
            names.setdefault(release.commit, []).append(release.name)
    return names


# ----------------------------------------------------------------------------- page history


def page_content_path(page) -> str | None:
    """Where the exporter writes (or last wrote) this page in content/."""
    from .exportable import default_site
    from .exporter import content_path_for, manifest_entry

    try:
        entry = manifest_entry(Path(settings.CONTENT_DIR), page.pk)
    except ValueError:
        entry = None
    if entry:
        return entry["path"]
    try:
        return content_path_for(page, default_site())
    except (AttributeError, TypeError, RuntimeError):
        return None  # a page without a URL on the public site


_PAGE_ID = re.compile(r"^page_id:\s*(\d+)\s*$", re.MULTILINE)


def _page_id_of(text: str) -> int | None:
    match = _PAGE_ID.search(text.split("\n---", 1)[0])
    return int(match.group(1)) if match else None


def page_versions(page, max_count: int = 100) -> tuple[str | None, list[dict]]:
    """(content path, versions newest first) of a page as published to content/.

    Follows renames (a moved page or a new slug keeps its history). If another page once
    lived at the same path, its older history is cut off: a run of versions between two
    deletions belongs to whichever page its first file names in `page_id`.
    Each version is a log entry plus `path`, `status` (A/M/D/R) and `removed`.
    """
    path = page_content_path(page)
    if path is None:
        return None, []
    repo = content_repo()
    versions: list[dict] = []
    run_checked = False
    for entry in repo.file_history(path, max_count=max_count):
        entry = _decorate(entry)
        entry["removed"] = entry["status"] == "D"
        if entry["removed"]:
            run_checked = False  # older entries may be another page's file
        elif not run_checked:
            try:
                owner = _page_id_of(repo.show_file(entry["sha"], entry["path"]))
            except (FileNotFoundError, UnicodeDecodeError):
                owner = None
            if owner != page.pk:
                break
            run_checked = True
        versions.append(entry)
    # A deletion at the old end belongs to the page we cut off.
    while versions and versions[-1]["removed"]:
        versions.pop()
    return path, versions


def version_text(version: dict) -> str:
    if version["removed"]:
        return ""
    try:
        return content_repo().show_file(version["sha"], version["path"])
    except (FileNotFoundError, UnicodeDecodeError):
        return ""


@dataclass
class DiffLine:
    kind: str  # "hunk" | "add" | "del" | "ctx"
    text: str
    old_no: int | None = None
    new_no: int | None = None


_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def diff_lines(old_text: str, new_text: str, context: int = 3) -> list[DiffLine]:
    """Unified diff of two texts as rows for a table (escaping is left to the template)."""
    raw = difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), lineterm="", n=context)
    lines: list[DiffLine] = []
    old_no = new_no = 0
    for line in raw:
        if line.startswith(("---", "+++")) and not lines:
            continue
        match = _HUNK.match(line)
        if match:
            old_no, new_no = int(match.group(1)), int(match.group(2))
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:], new_no=new_no))
            new_no += 1
        elif line.startswith("-"):
            lines.append(DiffLine("del", line[1:], old_no=old_no))
            old_no += 1
        else:
            lines.append(DiffLine("ctx", line[1:], old_no=old_no, new_no=new_no))
            old_no += 1
            new_no += 1
    return lines
