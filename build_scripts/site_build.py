"""Build the public site from content/ into a fresh release and switch to it atomically.

The engine's entry point: decides the build mode (full, or incremental from the current
release's build state or from the catalogue this process kept), hands the renderer
(``site/hooks/mkdocs_adapter.py``, the one module that knows MkDocs) a ``RenderRequest``,
then assembles the release, updates the search index and switches ``current``. The CMS
calls ``build_commit`` only. Layout of a releases directory::

    var/site/
      .build.lock                       flock: one build/switch at a time
      20261126T083015.123Z-1a2b3c4/     one complete site per successful build
        release.json                    time, commit, page count, duration
        .build-state/                   per-output keys and parsed sources, sharded
      .objects/                         directories shared between releases
      current -> 20261126T083015.123Z-1a2b3c4   what the web server serves

A build never writes into the release being served: it renders into a new directory
and only a complete, strict-clean build moves ``current`` (``os.replace`` of a symlink
is atomic). Failed builds leave nothing behind. Releases share their unchanged
directories (``release_tree``: a release root holds files and symlinks to immutable
directories under ``.objects/``), so keeping N releases costs N times what changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import importlib.util
import json
import os
import pickle
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import git
import yaml

from build_scripts.catalogue_state import BUILD_STATE_FORMAT, Catalogue
from build_scripts.content_repo import ContentRepo, ContentRepoError
from build_scripts.failpoints import pause_point
from build_scripts.locking import exclusive_lock
from build_scripts.media_store import MediaStore, store_for
from build_scripts.release_tree import (
    LEGACY_STANDBY_DIR,
    OBJECTS_DIR,
    ReleaseWriter,
    adopt_tree,
    delete_release,
    delete_unfinished,
    finish_interrupted_prunes,
    spread_subdirectories,
    walk_files,
)
from build_scripts.render_request import RenderRequest, RenderSettings
from build_scripts.search_index import (
    DEFAULT_USER_DICT,
    Analyser,
    build_search_index,
    tokenizer,
    update_search_index,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SITE_DIR = REPO_ROOT / "site"
CURRENT = "current"
LOCK_FILE = ".build.lock"
RELEASE_JSON = "release.json"
BUILD_STATE = ".build-state"  # per-output keys and parsed sources for the next incremental build
# The renderer: MkDocs loads it as a hook (mkdocs.yml), the engine calls its render().
RENDERER = Path("hooks") / "mkdocs_adapter.py"
# A full build of this many pages or more converts Markdown on two cores (a forked helper:
# RenderRequest.split_from_pages); below it the fork costs more than it saves.
SPLIT_FROM_PAGES = 200
_RELEASE_NAME = re.compile(r"^\d{8}T\d{6}\.\d{3}Z-[0-9A-Za-z]+$")


class BuildError(Exception):
    """A build or switch failed; the message is meant for editors (简体中文)."""


@dataclass(frozen=True)
class Release:
    name: str
    path: Path
    time: str  # ISO 8601, UTC
    commit: str | None
    page_count: int
    duration: float  # seconds
    rendered: int = 0  # outputs rendered by this build (the rest were shared with the previous release)
    incremental: bool = False
    # Built from content/ exactly as committed in `commit` (by the publishing service), so
    # `git diff commit..later` lists every source a later build must look at.
    exact: bool = False

    @classmethod
    def load(cls, path: Path) -> Release:
        data = json.loads((path / RELEASE_JSON).read_text(encoding="utf-8"))
        return cls(
            name=path.name,
            path=path,
            time=data["time"],
            commit=data.get("commit"),
            page_count=data["page_count"],
            duration=data["duration"],
            rendered=data.get("rendered", data["page_count"]),
            incremental=data.get("incremental", False),
            exact=data.get("exact", False),
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


# --------------------------------------------------------------------------- settings


def load_site_settings(content_dir: Path) -> dict:
    """Read and check content/_site.yml (see docs/content-format.md)."""
    path = Path(content_dir) / "_site.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(f"站点设置文件缺失：{path}") from None
    except yaml.YAMLError as exc:
        raise BuildError(f"站点设置文件 {path} 不是有效的 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise BuildError(f"站点设置文件 {path} 应为键值映射")
    org = data.get("org_name")
    if not isinstance(org, str) or not org.strip():
        raise BuildError(f"站点设置文件 {path} 缺少 org_name")
    site_url = data.get("site_url")
    if not isinstance(site_url, str) or not re.match(r"^https?://[^/]+", site_url):
        raise BuildError(f"站点设置文件 {path} 的 site_url 应为 http(s) 绝对地址，实际为 {site_url!r}")
    announcement = data.get("announcement")
    if announcement is not None and not (isinstance(announcement, dict) and announcement.get("text")):
        raise BuildError(f"站点设置文件 {path} 的 announcement 应为 null 或包含 text 的映射")
    return {
        "org_name": org.strip(),
        "icp_number": (data.get("icp_number") or "").strip(),
        "announcement": announcement,
        "site_url": site_url if site_url.endswith("/") else site_url + "/",
    }


# --------------------------------------------------------------------------- releases


def releases_lock(releases_dir: str | os.PathLike[str]) -> contextlib.AbstractContextManager[None]:
    """One build, switch or media purge at a time per releases directory."""
    return exclusive_lock(Path(releases_dir) / LOCK_FILE)


_locked = releases_lock


def list_releases(releases_dir: str | os.PathLike[str]) -> list[Release]:
    """Complete releases, newest first."""
    releases_dir = Path(releases_dir)
    if not releases_dir.is_dir():
        return []
    found = []
    for child in releases_dir.iterdir():
        if _RELEASE_NAME.match(child.name) and not child.is_symlink() and (child / RELEASE_JSON).is_file():
            found.append(Release.load(child))
    # Names start with a sortable UTC timestamp.
    return sorted(found, key=lambda r: r.name, reverse=True)


def current_release(releases_dir: str | os.PathLike[str]) -> Release | None:
    link = Path(releases_dir) / CURRENT
    if not link.is_symlink():
        return None
    target = Path(releases_dir) / os.readlink(link)
    if not (target / RELEASE_JSON).is_file():
        return None
    return Release.load(target)


def _point_current_at(releases_dir: Path, name: str) -> None:
    # A relative target keeps the releases directory movable; the rename over the old
    # link is atomic, so a request sees either the old or the new release, never none.
    tmp = releases_dir / f".{CURRENT}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(name, tmp)
    os.replace(tmp, releases_dir / CURRENT)


def switch_to(releases_dir: str | os.PathLike[str], name: str) -> Release:
    """Serve an existing release (rollback or roll forward)."""
    releases_dir = Path(releases_dir)
    with _locked(releases_dir):
        target = releases_dir / name
        if not _RELEASE_NAME.match(name) or not (target / RELEASE_JSON).is_file():
            known = "、".join(r.name for r in list_releases(releases_dir)) or "无"
            raise BuildError(f"版本 {name} 不存在或不完整（现有版本：{known}）")
        _point_current_at(releases_dir, name)
        return Release.load(target)


def _prune(releases_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` complete releases (never the current one) with the
    shared directories only they used, and whatever unfinished builds left behind (we hold
    the lock, so no build is running now: garbage collection never races a build)."""
    current = current_release(releases_dir)
    complete = list_releases(releases_dir)
    doomed = [r for r in complete[keep:] if current is None or r.name != current.name]
    kept = [r.path for r in complete if r not in doomed]
    finish_interrupted_prunes(releases_dir, kept)
    removed = []
    for release in doomed:
        delete_release(releases_dir, release.path, kept)
        removed.append(release.name)
    for path in releases_dir.iterdir():
        if (
            _RELEASE_NAME.match(path.name)
            and path.is_dir()
            and not path.is_symlink()
            and not (path / RELEASE_JSON).exists()
        ):
            delete_unfinished(releases_dir, path.name)
            removed.append(path.name)
        elif path.name.startswith((".scratch-", ".docs-", ".standby-")):
            # (.standby-*: hard-link clones made by earlier versions of this module)
            shutil.rmtree(path, ignore_errors=True)
    # Copies made ahead by earlier versions' worker threads (docs/decisions/0005).
    shutil.rmtree(releases_dir / OBJECTS_DIR / LEGACY_STANDBY_DIR, ignore_errors=True)
    return removed


# --------------------------------------------------------------------------- build


def _release_name(commit: str | None) -> str:
    now = dt.datetime.now(dt.UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S") + f".{now.microsecond // 1000:03d}Z"
    short = re.sub(r"[^0-9A-Za-z]", "", commit or "")[:7] or "nocommit"
    return f"{stamp}-{short}"


@dataclass(frozen=True)
class ReleaseTarget:
    """Where releases go and how many are kept (the CMS's settings)."""

    releases_dir: Path
    site_dir: Path = DEFAULT_SITE_DIR
    keep: int = 5


def build_commit(repo: ContentRepo, commit: str | None, target: ReleaseTarget, *, progress: bool = False) -> Release:
    """Build content/ as committed in `commit` (the caller has just committed everything, so
    the work tree equals `commit`) into a new release and switch to it.

    The one call the CMS makes. Which build mode runs is decided here, from the content
    repository and the current release alone: when the current release was built from
    exactly a commit (``Release.exact``), git names the sources that changed since and only
    those are read; otherwise every source's size and mtime is compared, or the build is a
    full one (no usable build state). Raises BuildError.
    """
    since, changed = _changed_since_current(repo, target.releases_dir, commit)
    return build_release(
        repo.work_tree,
        target.releases_dir,
        site_dir=target.site_dir,
        commit=commit,
        keep=target.keep,
        progress=progress,
        changed_paths=changed,
        changed_since=since,
        content_matches_commit=commit is not None,
        media_store=store_for(repo.git_dir).root,
    )


def _changed_since_current(
    repo: ContentRepo, releases_dir: Path, commit: str | None
) -> tuple[str | None, list[str] | None]:
    """(current release, content paths changed since it was built) from git, so the build
    looks at those files only instead of every file of content/. (None, None) when git
    cannot say: no current release, or it was not built from exactly its commit."""
    current = current_release(releases_dir)
    if current is None or not current.exact or not current.commit or not commit:
        return None, None
    if current.commit == commit:
        return current.name, []
    try:
        return current.name, repo.changed_paths(current.commit, commit)
    except (ContentRepoError, git.GitCommandError):  # e.g. a commit from another repository
        return None, None


def _media_stored_again(media_store: str | os.PathLike[str], previous: Release) -> bool:
    """A purged medium published again since ``previous`` was built comes back under the
    pointer content/ already had (the same hash): no source changed, but ``previous`` left the
    file out, and an incremental build would keep it out. Rare (an administrator's purge,
    then the page published again): the build is a full one."""
    return MediaStore(media_store).stored_again_since(dt.datetime.fromisoformat(previous.time))


def build_release(
    content_dir: str | os.PathLike[str],
    releases_dir: str | os.PathLike[str],
    *,
    site_dir: str | os.PathLike[str] = DEFAULT_SITE_DIR,
    commit: str | None = None,
    keep: int = 5,
    progress: bool = False,
    strict: bool = True,
    incremental: bool = True,
    changed_paths: list[str] | None = None,
    changed_since: str | None = None,
    content_matches_commit: bool = False,
    media_store: str | os.PathLike[str] | None = None,
) -> Release:
    """Build content_dir into a new release under releases_dir and make it current.

    With ``incremental`` (the default) and a compatible current release, only outputs whose
    inputs changed are rendered (``output_plan``); the new release
    shares every unchanged directory with the current one (``release_tree``), so a release
    costs time and disk only for what changed and is identical to a full build of the same
    content.

    ``changed_paths`` (content-relative paths) lists every source that may differ from what
    release ``changed_since`` was built from; when that release is still the current one,
    only those sources are looked at, else every source's size and mtime is compared. Pass
    it only when that is certain, e.g. from ``git diff`` between that release's commit and
    ``commit`` when it was built from exactly its commit (``Release.exact``) and content/
    now equals ``commit`` (``content_matches_commit``, recorded as ``exact``).

    ``media_store``: where the objects of content/'s media pointers are (``media_store``,
    the content repository's ``lfs`` directory); the release hard-links them.

    A long-lived process (the worker) keeps the last build's catalogue warm, so an
    incremental build reads nothing it has not been told changed. Pruned releases are
    collected after the switch, still under the build lock. Raises BuildError (and leaves
    `current` and all releases untouched) on any failure.
    """
    content_dir = Path(content_dir).resolve()
    releases_dir = Path(releases_dir).resolve()
    site_dir = Path(site_dir).resolve()
    if keep < 1:
        raise ValueError("keep must be at least 1")
    warm_key = _warm_key(content_dir, releases_dir, site_dir)

    with _locked(releases_dir):
        started = time.monotonic()
        spread_subdirectories(releases_dir)  # (each release root: a hierarchy of its own)
        name = _release_name(commit)
        target = releases_dir / name
        scratch = releases_dir / f".scratch-{name}"
        docs_stub = releases_dir / f".docs-{name}"
        timings: dict[str, float] = {}
        analyser: Analyser | None = None
        try:
            if not (content_dir / "index.md").is_file():
                raise BuildError(f"内容目录 {content_dir} 中没有首页 index.md")
            settings = load_site_settings(content_dir)
            # Loaded here so the rest of build_scripts (and the CMS importing it) does not
            # pay for MkDocs and material on import.
            renderer = _renderer(site_dir)
            signature = theme_signature(site_dir)
            previous = current_release(releases_dir) if incremental else None
            if previous is not None and media_store is not None and _media_stored_again(media_store, previous):
                previous = None  # a full build: see _media_stored_again
            # The catalogue of the build that made `previous`, kept in this process (it is
            # mutated by the build, so it is dropped whatever happens, and kept again
            # only with the release it produces).
            warm = _WARM.pop(warm_key, None)
            if warm is not None and (previous is None or warm.release != previous.name or warm.signature != signature):
                warm = None
            previous_state = None
            if previous is not None and warm is None:
                previous_state = _load_build_state(previous, signature)
            sparse = warm is not None or previous_state is not None
            if sparse:
                # Incremental: MkDocs gets an empty docs_dir and the adapter hands it only
                # what must be rendered (the engine's scan of content_dir replaces MkDocs').
                docs_stub.mkdir(parents=True)
            request = RenderRequest(
                content_dir=str(content_dir),
                theme_signature=signature,
                progress=progress,
                catalogue=warm.catalogue if warm else None,
                previous_outputs=previous_state["outputs"] if previous_state else None,
                previous_sources=previous_state["sources"] if previous_state else None,
                # Only valid against the release it was computed for: another process may
                # have switched `current` since (a rollback).
                changed_paths=(
                    sorted(set(changed_paths))
                    if sparse and previous is not None and changed_paths is not None and changed_since == previous.name
                    else None
                ),
                media_store=str(media_store) if media_store is not None else None,
            )
            if progress:
                mode = (
                    f"增量，基于 {previous.name}" + ("（进程内缓存）" if warm else "")
                    if sparse and previous is not None
                    else "全量"
                )
                print(f"开始构建 {name}（{mode}；内容：{content_dir}）", file=sys.stderr, flush=True)
            if not sparse:  # every page is new: segment each for the search index as it is written
                analyser = Analyser()
                request.on_rendered = analyser.submit
                if (os.cpu_count() or 1) > 1:
                    request.split_from_pages = SPLIT_FROM_PAGES
            timings["setup"] = time.monotonic() - started
            renderer.render(
                request,
                RenderSettings(
                    site_dir=site_dir,
                    docs_dir=docs_stub if sparse else content_dir,
                    out_dir=scratch if sparse else target,
                    site_url=settings["site_url"],
                    site_name=settings["org_name"],
                    strict=strict,
                    extra={
                        "org_name": settings["org_name"],
                        "icp_number": settings["icp_number"],
                        "announcement": settings["announcement"],
                    },
                ),
            )
            timings["mkdocs"] = time.monotonic() - started
            pause_point("build.after_render")
            plan = request.result
            if plan is None:
                raise BuildError("网站构建失败：渲染器没有交回构建结果（内部错误）")
            if sparse:
                assert previous is not None
                tree = ReleaseWriter(releases_dir, name, base=previous.path, skip=(RELEASE_JSON,))
                _assemble(tree, scratch, plan)
                timings["assemble"] = time.monotonic() - started
                search = update_search_index(
                    target, previous.path, plan.changed, plan.removed, write=tree.put_bytes, remove=tree.remove
                )
                put = tree.put_bytes
            else:
                search = build_search_index(target, analysed=analyser.results() if analyser else None)
                put = _PlainWriter(target).put_bytes
            timings["search"] = time.monotonic() - started
            if progress:
                print(
                    f"搜索索引：{search.mode}，分析 {search.analysed} 个页面，写入 {search.files_written} 个文件，"
                    f"{search.seconds:.1f} 秒",
                    file=sys.stderr,
                    flush=True,
                )
            for state_name, data in plan.state_files(all_files=not sparse).items():
                put(f"{BUILD_STATE}/{state_name}", data)
            if not sparse:
                # Directories become shareable objects only now: the search index and the
                # state above were written into the plain tree MkDocs produced.
                adopt_tree(releases_dir, name)
            page_count = plan.page_count()
            release = Release(
                name=name,
                path=target,
                # Microseconds: a medium stored again a moment after this build ends is newer
                # than the release (``_media_stored_again``), even within the same second.
                time=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
                commit=commit,
                page_count=page_count,
                duration=round(time.monotonic() - started, 3),
                rendered=len(plan.changed),
                incremental=sparse,
                exact=bool(content_matches_commit and commit),
            )
            record = release.to_dict()
            del record["path"], record["name"]
            put(RELEASE_JSON, (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
            timings["written"] = time.monotonic() - started
        except BaseException as exc:
            delete_unfinished(releases_dir, name)
            shutil.rmtree(scratch, ignore_errors=True)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise BuildError(_failure_message(exc)) from exc
        finally:
            shutil.rmtree(docs_stub, ignore_errors=True)
            if analyser is not None:
                analyser.close()

        pause_point("build.before_switch")
        _point_current_at(releases_dir, name)
        if plan.reusable:
            _WARM[warm_key] = _Warm(release=name, signature=signature, catalogue=plan)
        pruned = _prune(releases_dir, keep)
        timings["pruned"] = time.monotonic() - started
        LAST_TIMINGS.clear()
        LAST_TIMINGS.update({k: round(v, 3) for k, v in timings.items()})
        if progress:
            print(
                f"完成：{name}，{release.page_count} 个页面（本次渲染 {release.rendered} 个），"
                f"用时 {release.duration:.1f} 秒" + (f"；清理旧版本 {len(pruned)} 个" if pruned else ""),
                file=sys.stderr,
                flush=True,
            )
        return release


@dataclass
class _Warm:
    release: str  # the release this catalogue describes
    signature: str
    catalogue: Catalogue
    made: float = field(default_factory=time.monotonic)


# (releases dir, content dir, site dir) -> the catalogue of the last release built there by
# this process. Tests and benches that build several sites in one process keep one each.
_WARM: dict[tuple[str, str, str], _Warm] = {}

# Seconds since the start of the last build_release at the end of each phase (for
# bench/profile_publish.py and the worker log; never asserted on).
LAST_TIMINGS: dict[str, float] = {}


def _warm_key(
    content_dir: str | os.PathLike[str], releases_dir: str | os.PathLike[str], site_dir: str | os.PathLike[str]
) -> tuple[str, str, str]:
    return (str(Path(releases_dir).resolve()), str(Path(content_dir).resolve()), str(Path(site_dir).resolve()))


def forget_warm_state() -> None:
    """Drop every catalogue kept in this process (the next builds read their state from disk)."""
    _WARM.clear()


_RENDERERS: dict[tuple[str, int], ModuleType] = {}


def warm_up(
    content_dir: str | os.PathLike[str],
    releases_dir: str | os.PathLike[str],
    site_dir: str | os.PathLike[str] = DEFAULT_SITE_DIR,
    user_dict: Path = DEFAULT_USER_DICT,
) -> bool:
    """Load now what a long-lived process's first build would load: the renderer with MkDocs
    and its theme and the search tokenizer's dictionary (~2 s whatever the site's size), and
    the current release's catalogue from its snapshot (``save_warm_snapshot``; ~1 s of
    parsing and deriving at 10,000 pages when there is none). The worker calls it as it
    starts, so the first publish after a start is as quick as the next. True when the
    catalogue was loaded."""
    site_dir = Path(site_dir).resolve()
    _renderer(site_dir).warm_up(site_dir, theme_signature(site_dir))
    tokenizer(user_dict)
    return _load_warm_snapshot(Path(content_dir).resolve(), Path(releases_dir).resolve(), site_dir)


# The warm catalogue on disk: one file beside the releases, for the release it describes.
WARM_SNAPSHOT = ".warm-catalogue.pickle"
_WARM_SNAPSHOT_FORMAT = 1
# warm key -> the release whose catalogue this process last wrote (or found) on disk
_SNAPSHOTS: dict[tuple[str, str, str], str] = {}


def _snapshot_header(release: str, signature: str) -> dict[str, Any]:
    return {
        "format": _WARM_SNAPSHOT_FORMAT,
        "state_format": BUILD_STATE_FORMAT,
        "python": list(sys.version_info[:2]),
        "release": release,
        "signature": signature,
    }


def save_warm_snapshot(
    content_dir: str | os.PathLike[str],
    releases_dir: str | os.PathLike[str],
    site_dir: str | os.PathLike[str] = DEFAULT_SITE_DIR,
    *,
    settled: float = 0.0,
) -> bool:
    """Write this process's catalogue of the last release it built to disk, once per release,
    so the next process (a restarted worker) starts warm. Pickled because it loads in ~0.1 s
    at 10,000 pages, ten times faster than deriving it again; written by the process that
    made it into its own releases directory, and read only if it names the current release,
    the same theme and engine signature and the same formats. The worker calls it when idle,
    never on a publish's way, and only once the release is ``settled`` seconds old (a burst
    of publishes does not write one snapshot each, ~0.2 s apiece at 10,000 pages). True when
    written."""
    key = _warm_key(content_dir, releases_dir, site_dir)
    warm = _WARM.get(key)
    if warm is None or _SNAPSHOTS.get(key) == warm.release or time.monotonic() - warm.made < settled:
        return False
    current = current_release(key[0])
    if current is None or current.name != warm.release:  # another process switched since
        return False
    # Tried once per release, whatever happens: a full disk must not cost a pickling of the
    # catalogue on every poll of the worker.
    _SNAPSHOTS[key] = warm.release
    path = Path(key[0]) / WARM_SNAPSHOT
    tmp = path.with_name(f"{WARM_SNAPSHOT}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            pickle.dump(_snapshot_header(warm.release, warm.signature), out, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(warm.catalogue, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # a reader sees the old snapshot or the new one, never half
    except Exception as error:  # (a cache: the worker goes on, the next start is cold)
        with contextlib.suppress(OSError):
            tmp.unlink()
        print(f"未能保存构建缓存快照 {path}：{error}", file=sys.stderr, flush=True)
        return False
    return True


def _load_warm_snapshot(content_dir: Path, releases_dir: Path, site_dir: Path) -> bool:
    key = _warm_key(content_dir, releases_dir, site_dir)
    current = current_release(releases_dir)
    if current is None or key in _WARM:
        return False
    signature = theme_signature(site_dir)
    expected = _snapshot_header(current.name, signature)
    try:
        with open(releases_dir / WARM_SNAPSHOT, "rb") as snapshot:
            if pickle.load(snapshot) != expected:
                return False  # another release, theme or engine: the first build reads .build-state/
            gc.disable()  # millions of small objects: the collector would triple the load time
            try:
                catalogue = pickle.load(snapshot)
            finally:
                gc.enable()
    except Exception:  # missing, unreadable or from other code: the cold path is always correct
        return False
    if not isinstance(catalogue, Catalogue):
        return False
    _WARM[key] = _Warm(release=current.name, signature=signature, catalogue=catalogue)
    _SNAPSHOTS[key] = current.name
    return True


def _renderer(site_dir: Path) -> ModuleType:
    """The adapter module of `site_dir` (``hooks/mkdocs_adapter.py``), loaded by path as
    MkDocs loads its hooks (it is not a package module); kept while the file is unchanged."""
    path = site_dir / RENDERER
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        raise BuildError(f"网站配置目录 {site_dir} 中没有渲染器 {RENDERER}") from None
    module = _RENDERERS.get(key)
    if module is None:
        spec = importlib.util.spec_from_file_location("site_renderer", path)
        if spec is None or spec.loader is None:
            raise BuildError(f"找不到网站渲染器 {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        _RENDERERS[key] = module
    return module


def site_markdown_options(site_dir: Path) -> tuple[list[Any], dict[str, Any]]:
    """The Markdown extensions (and their settings) the site's renderer uses, for previews
    outside a build that must read like the site."""
    options: tuple[list[Any], dict[str, Any]] = _renderer(Path(site_dir)).markdown_options(Path(site_dir))
    return options


# Modules of build_scripts the renderer renders with: a change to them changes outputs too
# (site/, with the adapter, is signed as a whole).
_SIGNED_MODULES = (
    "html_safety.py",
    "site_paths.py",
    "page_model.py",
    "catalogue.py",
    "catalogue_state.py",
    "listings.py",
    "sitemap.py",
    "feed.py",
    "sharing.py",
    "qr_code.py",
    "output_plan.py",
    "site_pages.py",
    "public_forms.py",
    "render_request.py",
)


def theme_signature(site_dir: Path) -> str:
    """Hash of everything besides content/ that shapes the output: the site configuration,
    overrides, hooks, the HTML safety rules and the MkDocs/material/nh3 versions. A change
    forces a full build."""
    from importlib.metadata import version

    digest = hashlib.sha1()
    for package in ("mkdocs", "mkdocs-material", "nh3", "zxing-cpp"):
        digest.update(f"{package}={version(package)}\n".encode())
    for module in _SIGNED_MODULES:
        digest.update(hashlib.sha1(Path(__file__).with_name(module).read_bytes()).digest())
    for path in sorted(p for p in Path(site_dir).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(site_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha1(path.read_bytes()).digest())
    return digest.hexdigest()


def _load_build_state(release: Release, signature: str) -> dict | None:
    """The previous build's per-output keys and parsed sources (``.build-state/``), or None
    when they are missing or were made by another theme/state format (full build)."""
    directory = release.path / BUILD_STATE
    try:
        meta = json.loads((directory / "meta.json").read_bytes())
    except (OSError, ValueError):
        return None
    if meta.get("format") != BUILD_STATE_FORMAT or meta.get("signature") != signature:
        return None
    outputs: dict[str, dict] = {}
    sources: dict[str, dict] = {}
    try:
        # (followlinks: the shards' directories are shared ones, build_scripts/release_tree.py)
        for folder, _subdirs, filenames in sorted(os.walk(directory, followlinks=True)):
            for filename in sorted(filenames):
                if folder == str(directory) and filename == "meta.json":
                    continue
                for src, record in json.loads(Path(folder, filename).read_bytes()).items():
                    source = record.pop("source", None)
                    if source is not None:
                        sources[src] = source
                    outputs[src] = record
    except (OSError, ValueError):
        return None
    return {"outputs": outputs, "sources": sources}


class _PlainWriter:
    """put_bytes into a tree nobody else shares yet (a full build before adopt_tree)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put_bytes(self, rel: str, data: bytes) -> bool:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return True


def _assemble(tree: ReleaseWriter, scratch: Path, plan: Catalogue) -> None:
    """Make the new release = previous release − removed outputs + what this build rendered.

    Rendered files are moved in with os.replace (a directory entry swap in a directory
    private to the new release): the previous release, still being served, is never
    written to.
    """
    for rel in plan.removed:
        tree.remove(rel)
    for rel, path in walk_files(scratch):
        tree.put_file(rel, path)
    shutil.rmtree(scratch)


def _failure_message(exc: BaseException) -> str:
    if isinstance(exc, BuildError):
        return str(exc)
    # The renderer's failure (site/hooks/mkdocs_adapter.py RenderFailed) says what it
    # logged before it stopped.
    warnings: list[str] = getattr(exc, "warnings", [])
    cause = getattr(exc, "cause", None) or str(exc) or type(exc).__name__
    strict = re.match(r"Aborted with (.+) in strict mode", cause)
    if strict:
        count = sum(int(n) for n in re.findall(r"(\d+)", strict.group(1)))
        cause = f"严格模式下出现 {count} 条警告"
    lines = [f"网站构建失败，当前线上版本未改变。原因：{cause}"]
    if warnings:
        lines.append("构建警告：")
        lines += [f"  - {w}" for w in warnings[:20]]
        if len(warnings) > 20:
            lines.append(f"  …… 另有 {len(warnings) - 20} 条")
    return "\n".join(lines)
