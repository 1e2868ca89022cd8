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

import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
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
_OID = re.compile(r"^[0-9a-f]{64}$")


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
        if not _OID.match(oid):
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
            if target.is_file():
                os.unlink(tmp)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(tmp, 0o444)  # objects are never written again: a release links them
                os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._note_path(pointer.oid, path)
        return pointer

    def _note_path(self, oid: str, path: str) -> None:
        record_path = self._record_path("meta", oid)
        record = _read_json(record_path) or {"stored_at": _now(), "paths": []}
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
            if not _OID.match(path.name):
                continue
            record = _read_json(self._record_path("meta", path.name)) or {}
            stat = path.stat()
            stored_at = record.get("stored_at") or dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).isoformat()
            yield StoredObject(
                path.name, stat.st_size, dt.datetime.fromisoformat(stored_at), tuple(record.get("paths", ()))
            )

    def purge_record(self, oid: str) -> dict | None:
        return _read_json(self._record_path("purged", oid))

    def purge(self, oid: str, *, by: str, releases_dir: str | os.PathLike[str] | None = None) -> dict:
        """Delete the object and every kept release's link to it; record who did it. The
        record is written first, so a crash half-way leaves a purge that the next attempt
        completes, never an object missing without a record. The caller checks that nothing
        current uses it (``referenced``)."""
        source = self.object_path(oid)
        if not source.is_file():
            raise MediaStoreError("该媒体文件不在媒体库中（可能已被清除）。")
        stat = source.stat()
        meta = _read_json(self._record_path("meta", oid)) or {}
        record = {
            "oid": oid,
            "size": stat.st_size,
            "paths": meta.get("paths", []),
            "purged_by": by,
            "purged_at": _now(),
        }
        _write_json(self._record_path("purged", oid), record)
        unlinked = 0
        names = {path.rsplit("/", 1)[-1] for path in record["paths"]}
        if releases_dir is not None and Path(releases_dir).is_dir():
            # Releases share directories (build_scripts/release_tree.py): walking the real
            # directories once, without following the shared-directory links, meets every
            # link; a copy (releases on another file system) by its name and size.
            for directory, _subdirs, files in os.walk(releases_dir):
                for name in files:
                    path = os.path.join(directory, name)
                    try:
                        found = os.stat(path, follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    same = (found.st_ino, found.st_dev) == (stat.st_ino, stat.st_dev)
                    if same or (name in names and found.st_size == stat.st_size):
                        os.unlink(path)
                        unlinked += 1
        source.unlink()
        record["release_links_removed"] = unlinked
        return record


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
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
