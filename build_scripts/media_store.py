"""Public media files (video, audio, documents) kept out of the content repository's history.

A 党课 recording is often hundreds of MB, and a file committed to git stays in every clone,
backup and ``git gc`` forever, even after it is replaced or unpublished. So content/ holds, at
each media file's path under ``assets/media/``, a pointer in Git LFS's format (spec v1):

    version https://git-lfs.github.com/spec/v1
    oid sha256:<64 hex digits>
    size <bytes>

and the bytes live once in a content-addressed store beside the repository, where Git LFS
keeps them: ``<git dir>/lfs/objects/<oid[0:2]>/<oid[2:4]>/<oid>``, read-only. Git ignores
that directory (history holds the 130-byte pointers only); the backup archives the git
directory, so the objects with it. A release hard-links the objects it serves (no copy, no
disk of its own; a copy only where the store and the releases are on different file
systems), so building, rolling back and keeping old releases cost nothing per medium.

A replaced or unpublished medium's object stays, so that rollback can serve it again, until
an administrator purges it (``purge``): the object and every kept release's link to it are
removed, and ``lfs/purged/<oid>.json`` records who did it and when. A build that meets a
pointer to a purged object (a rollback to content from before the purge) leaves that file
out; a pointer to an object the store never had is a build error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: content/ paths under this prefix are stored as pointers (images stay in git: the site's
#: renditions are at most 1200 px wide).
MEDIA_PREFIX = "assets/media/"
POINTER_HEADER = b"version https://git-lfs.github.com/spec/v1\n"
_POINTER = re.compile(rb"version https://git-lfs\.github\.com/spec/v1\noid sha256:([0-9a-f]{64})\nsize ([0-9]{1,15})\n")
_MAX_POINTER_BYTES = 200
_CHUNK = 1024 * 1024
_OID = re.compile(r"[0-9a-f]{64}")
NOT_IN_STORE_MESSAGE = "该媒体文件不在媒体库中（可能已被清除）。"


class MediaStoreError(Exception):
    """The store cannot do what was asked; the message is for people (简体中文)."""


@dataclass(frozen=True)
class Pointer:
    oid: str  # SHA-256 of the content, hex
    size: int

    def text(self) -> bytes:
        return POINTER_HEADER + f"oid sha256:{self.oid}\nsize {self.size}\n".encode("ascii")


def read_pointer(path: str | os.PathLike[str]) -> Pointer | None:
    """The pointer ``path`` holds, or None when it holds a file itself."""
    with open(path, "rb") as handle:
        head = handle.read(_MAX_POINTER_BYTES + 1)
    match = _POINTER.fullmatch(head) if head.startswith(POINTER_HEADER) else None
    return Pointer(match.group(1).decode("ascii"), int(match.group(2))) if match else None


def is_media_path(relative: str) -> bool:
    return relative.startswith(MEDIA_PREFIX)


def store_for(git_dir: str | os.PathLike[str]) -> MediaStore:
    """The store beside the content repository whose git directory is ``git_dir``."""
    return MediaStore(Path(git_dir) / "lfs")


@dataclass(frozen=True)
class StoredObject:
    oid: str
    size: int
    stored_at: dt.datetime
    paths: tuple[str, ...]  # the content/ paths it was stored for


class MediaStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def object_path(self, oid: str) -> Path:
        if not _OID.fullmatch(oid):
            raise MediaStoreError(f"无效的媒体文件标识：{oid[:80]!r}")
        return self.root / "objects" / oid[:2] / oid[2:4] / oid

    def _record_path(self, kind: str, oid: str) -> Path:
        self.object_path(oid)  # validates
        return self.root / kind / f"{oid}.json"

    def has(self, oid: str) -> bool:
        return self.object_path(oid).is_file()

    # ------------------------------------------------------------------ writing

    def put(self, source: BinaryIO, path: str) -> Pointer:
        """Store ``source``'s bytes (read to the end) for the content/ ``path``; its pointer.
        Streams in chunks (a recording of several GB never sits in memory) into a temporary
        file that becomes the object only when complete and flushed to disk: a crash leaves
        the store as it was. Storing bytes the store has is a no-op."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale(tmp_dir)
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            pointer = Pointer(digest.hexdigest(), size)
            target = self.object_path(pointer.oid)
            if target.is_file() and target.stat().st_size == size:
                os.unlink(tmp)
            else:  # new, or a damaged copy (a crash of the file system): replaced whole
                target.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(tmp, 0o444)  # objects are never written again: a release links them
                os.replace(tmp, target)
                _fsync_directory(target.parent)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._unpurge(pointer.oid)
        self._note_path(pointer.oid, path)
        return pointer

    def _unpurge(self, oid: str) -> None:
        """A purged medium published again is no longer purged; the purge stays on record."""
        record = self._record_path("purged", oid)
        if record.exists():
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
            os.replace(record, record.with_name(f"{oid}.{stamp}.stored-again.json"))

    def stored_again_since(self, moment: dt.datetime) -> bool:
        """Whether a purged medium was stored again at or after ``moment`` (aware). Its
        pointer is the one content/ had before the purge (the same hash), so no source of the
        site changed, yet the release built meanwhile left the file out: the next build is
        then a full one (``site_build.build_release``). Rare (an administrator's purge, then the page published again)."""
        for record in (self.root / "purged").glob("*.stored-again.json"):
            try:
                when = dt.datetime.strptime(record.name.split(".")[1], "%Y%m%dT%H%M%S%f").replace(tzinfo=dt.UTC)
            except ValueError:  # not a name this store wrote
                continue
            if when >= moment:
                return True
        return False

    def _note_path(self, oid: str, path: str) -> None:
        record_path = self._record_path("meta", oid)
        record = self._meta(oid) or {"stored_at": _now(), "paths": []}
        if path not in record["paths"]:
            record["paths"].append(path)
            _write_json(record_path, record)

    # ------------------------------------------------------------------ releases

    def link_into(self, pointer: Pointer, target: str | os.PathLike[str]) -> bool:
        """Put the object at ``target`` (a release's file): a hard link, or a copy across file
        systems. False when the object was purged (the file is left out); MediaStoreError when
        the store never had it or holds other bytes under its name."""
        source = self.object_path(pointer.oid)
        try:
            size = source.stat().st_size
        except FileNotFoundError:
            if self.purge_record(pointer.oid) is not None:
                return False
            raise MediaStoreError(
                f"媒体文件 sha256:{pointer.oid[:12]}… 不在媒体库 {self.root} 中（内容仓库的 lfs 目录缺失或不完整？）"
            ) from None
        if size != pointer.size:
            raise MediaStoreError(f"媒体库中的文件 sha256:{pointer.oid[:12]}… 大小与引用不符（已损坏？）")
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        try:
            os.link(source, target)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
            shutil.copyfile(source, target)
        return True

    # ------------------------------------------------------------------ listing and purging

    def objects(self) -> Iterator[StoredObject]:
        objects_dir = self.root / "objects"
        if not objects_dir.is_dir():
            return
        for path in sorted(objects_dir.glob("*/*/*")):
            if not _OID.fullmatch(path.name):
                continue
            try:
                record = _read_json(self._record_path("meta", path.name)) or {}
            except ValueError:  # damaged: the object is listed all the same
                record = {}
            try:
                stat = path.stat()
            except FileNotFoundError:  # purged meanwhile
                continue
            stored_at = record.get("stored_at") or dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).isoformat()
            yield StoredObject(
                path.name, stat.st_size, dt.datetime.fromisoformat(stored_at), tuple(record.get("paths", ()))
            )

    def purge_record(self, oid: str) -> dict | None:
        path = self._record_path("purged", oid)
        try:
            return _read_json(path)
        except ValueError:  # damaged (a crash while it was written): it was being purged
            return {"oid": oid, "unreadable": str(path)}

    def purged_by_size(self) -> dict[int, set[str]]:
        """size -> oids of every purged medium (a build recognises a purged medium that an
        old commit holds whole, from before the store, by its size first, then its hash)."""
        found: dict[int, set[str]] = {}
        directory = self.root / "purged"
        if directory.is_dir():
            for path in directory.glob("*.json"):
                oid = path.name.removesuffix(".json")
                if not _OID.fullmatch(oid):
                    continue  # an archived record of a medium stored again
                record = self.purge_record(oid) or {}
                if "size" in record:
                    found.setdefault(int(record["size"]), set()).add(oid)
        return found

    def purge(self, oid: str, *, by: str, releases: Iterable[str | os.PathLike[str]] = ()) -> dict:
        """Delete the object and every copy or link the given release roots hold at the
        paths it was stored for; record who did it. The record is written first, so a crash
        half-way leaves a purge that the next attempt completes, never an object missing
        without a record. The caller checks that nothing current uses it and holds the
        releases' lock (no build or switch meanwhile)."""
        source = self.object_path(oid)
        if not source.is_file():
            raise MediaStoreError(NOT_IN_STORE_MESSAGE)
        meta = self._meta(oid)
        paths = [path for path in meta.get("paths", []) if is_media_path(path) and ".." not in path.split("/")]
        record = {
            "oid": oid,
            "size": source.stat().st_size,
            "paths": paths,
            "purged_by": by,
            "purged_at": _now(),
        }
        _write_json(self._record_path("purged", oid), record)
        unlinked = 0
        for root in releases:
            for path in paths:
                # Through the directories releases share (build_scripts/release_tree.py): one
                # unlink takes the file out of every release that shares the directory.
                try:
                    os.unlink(Path(root) / path)
                    unlinked += 1
                except (FileNotFoundError, NotADirectoryError):
                    pass
        source.unlink(missing_ok=True)
        record["release_links_removed"] = unlinked
        return record

    def _meta(self, oid: str) -> dict:
        try:
            return _read_json(self._record_path("meta", oid)) or {}
        except ValueError:
            return {}

    def paths_of(self, oid: str) -> list[str]:
        return list(self._meta(oid).get("paths", []))


def is_purged_whole_file(path: str | os.PathLike[str], purged_by_size: dict[int, set[str]]) -> bool:
    """Whether ``path`` (a medium committed whole, from before the store) holds the bytes of
    a purged medium: a rollback to such a commit must not bring it back."""
    oids = purged_by_size.get(os.path.getsize(path))
    if not oids:
        return False
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest() in oids


def referenced(content_dir: str | os.PathLike[str]) -> dict[str, list[str]]:
    """oid -> the content/ paths pointing at it, in the tree as it is on disk."""
    found: dict[str, list[str]] = {}
    media_dir = Path(content_dir) / MEDIA_PREFIX
    if not media_dir.is_dir():
        return found
    for path in sorted(media_dir.rglob("*")):
        if path.is_file() and not path.is_symlink():
            pointer = read_pointer(path)
            if pointer is not None:
                found.setdefault(pointer.oid, []).append(path.relative_to(content_dir).as_posix())
    return found


def _now() -> str:
    # Microseconds: two media stored within one second still list newest first.
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _read_json(path: Path) -> dict | None:
    """The record, None when there is none; ValueError when it is damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a record")
    return data


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        _fsync_directory(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale(tmp_dir: Path, older_than: float = 24 * 3600) -> None:
    """Temporaries of stores a crash interrupted (a running store's file is newer)."""
    limit = dt.datetime.now().timestamp() - older_than
    for path in tmp_dir.glob("incoming-*"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < limit:
                path.unlink()
