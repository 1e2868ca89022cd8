"""Releases as trees of shared, immutable directories.

A release must be a complete site (the web server serves ``current/`` as a plain
directory tree), yet a publish must cost time and disk only for what changed. Hard-linking
every file of the previous release (``cp -al``) still creates one directory inode per
page: ~10,000 inodes per release at 10,000 pages, seconds on a disk where creating an
inode costs ~1 ms. So directories are shared instead::

    var/site/
      20261126T083015.123Z-1a2b3c4/        a release root (real directory, owned by the release)
        index.html  feed.xml  release.json  files: hard links or new files
        news -> ../.objects/20261126T0800…/17       every sub-directory: a symlink to an object
      .objects/<creating release>/<n>/     an immutable directory: files + symlinks to other
                                           objects (``../../<creator>/<m>``), never written
                                           once its release is complete

A new release starts as a new root whose entries are hard links to the previous root's
(symlinks included: a hard link to a symlink inode resolves the same from any directory
at the same depth, and costs no new inode). Writing below a shared directory first makes
a private copy of it and of each directory above it (copy-on-write: one new directory
inode plus hard links to its entries), so the previous release is never written through.
Changing one article of a section therefore creates a handful of directories, whatever
the size of the site.

An object lives at exactly one path (it is only ever inherited at the path where it was
created), so an object of a pruned release is garbage iff no kept release has it at that
path: ``dead_objects`` walks only where the trees differ.

This module knows nothing about MkDocs or the site; ``site_build`` uses it.
"""

from __future__ import annotations

import fcntl
import os
import posixpath
import shutil
import struct
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

OBJECTS_DIR = ".objects"
PRUNING_PREFIX = ".pruning-"
# Where earlier versions' worker threads kept copies made ahead (docs/decisions/0005):
# deleted by the next prune.
LEGACY_STANDBY_DIR = ".standby"


class TreeError(Exception):
    """The release tree is not in the expected shape (a bug, not a content problem)."""


# ext4's "top of directory hierarchies" flag (``chattr +T``) and the ioctls that read and set
# an inode's flags (_IOR/_IOW('f', 1/2, long) in linux/fs.h, as x86 and arm encode them; where
# the encoding differs the ioctl fails, and nothing but the placement changes).
_FS_TOPDIR_FL = 0x00020000
_FS_IOC_GETFLAGS = (2 << 30) | (struct.calcsize("l") << 16) | (ord("f") << 8) | 1
_FS_IOC_SETFLAGS = (1 << 30) | (struct.calcsize("l") << 16) | (ord("f") << 8) | 2


def directory_flags(directory: Path) -> int | None:
    """The inode flags of `directory` (``lsattr -d``); None where the file system has none."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        flags = array("i", [0])
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, flags, True)
        return flags[0]
    except OSError:
        return None
    finally:
        os.close(fd)


def set_directory_flags(directory: Path, flags: int) -> bool:
    """Set the inode flags of `directory` (``chattr``); False where that cannot be done."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.ioctl(fd, _FS_IOC_SETFLAGS, array("i", [flags]), True)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def spread_subdirectories(directory: Path) -> bool:
    """Mark `directory` as the top of unrelated directory hierarchies (ext4's ``chattr +T``),
    so ext4 puts each new subdirectory, and what is created below it, in a block group with
    free inodes instead of next to its parent. Without it, every release's new directories
    and files went next to the object pool, in groups the first full build of a 100,000-page
    site had filled: creating a file cost ~180 µs instead of ~15 µs, and a publish creates
    ~500 (bench/README.md, publish_latency). True when the flag is set; on other file systems
    (tmpfs, overlayfs, …) nothing happens and only the placement differs."""
    flags = directory_flags(directory)
    if flags is None:
        return False
    return bool(flags & _FS_TOPDIR_FL) or set_directory_flags(directory, flags | _FS_TOPDIR_FL)


def _objects_of(releases_dir: Path, name: str) -> Path:
    """The object directory of release `name`, made (with the pool and its flag) if missing."""
    pool = releases_dir / OBJECTS_DIR
    pool.mkdir(parents=True, exist_ok=True)
    spread_subdirectories(pool)
    objects = pool / name
    objects.mkdir(exist_ok=True)
    return objects


def _link_text(creator: str, number: int, *, from_root: bool) -> str:
    # Relative, so the releases directory can move: from a release root the object pool
    # is a sibling directory, from inside an object its siblings are two levels up.
    return f"../{OBJECTS_DIR}/{creator}/{number}" if from_root else f"../../{creator}/{number}"


def object_id(link_text: str) -> tuple[str, str]:
    """(creator, number) of the object a directory symlink points at."""
    parts = link_text.rstrip("/").split("/")
    return parts[-2], parts[-1]


class ReleaseWriter:
    """Assembles a new release from the previous one, copy-on-write.

    ``put_file``/``put_bytes``/``remove`` take paths relative to the release root. Every
    directory written to is private to this release (materialised on first use); all
    others stay shared with the previous release. Root entries named in `skip` are not
    inherited (release.json: an unfinished root must never look like a complete release).
    """

    def __init__(self, releases_dir: Path, name: str, base: Path | None, *, skip: tuple[str, ...] = ()) -> None:
        self.releases_dir = Path(releases_dir)
        self.name = name
        self.root = self.releases_dir / name
        self.objects = self.releases_dir / OBJECTS_DIR / name
        self._counter = 0
        self._owned: dict[str, Path] = {"": self.root}
        # The root first: a root without release.json marks an unfinished build whose
        # objects may all be deleted (see site_build._prune).
        self.root.mkdir()
        if base is not None:
            with os.scandir(base) as entries:
                for entry in entries:
                    if entry.name not in skip:
                        os.link(entry.path, self.root / entry.name, follow_symlinks=False)
        self.directories_copied = 0

    # ------------------------------------------------------------------ directories

    def _new_object(self) -> Path:
        if self._counter == 0:
            _objects_of(self.releases_dir, self.name)
        path = self.objects / str(self._counter)
        self._counter += 1
        path.mkdir()
        return path

    def _dir(self, rel: str, create: bool) -> Path | None:
        """The private directory for `rel` ("" = root), copied from the shared one on first
        use; None when it does not exist and `create` is false."""
        owned = self._owned.get(rel)
        if owned is not None:
            return owned
        parent_rel, _, name = rel.rpartition("/")
        parent = self._dir(parent_rel, create)
        if parent is None:
            return None
        entry = parent / name
        try:
            target = os.readlink(entry)
        except FileNotFoundError:
            target = None
        except OSError as exc:  # EINVAL: a file (or a real directory) where a shared one belongs
            raise TreeError(f"{rel}: expected a shared directory link, found {entry}") from exc
        if target is None and not create:
            return None
        if target is None:
            obj = self._new_object()
        else:
            shared = os.path.normpath(os.path.join(parent, target))
            obj = self._new_object()
            _link_entries(shared, obj)
            entry.unlink()
            self.directories_copied += 1
        os.symlink(_link_text(self.name, int(obj.name), from_root=parent_rel == ""), entry)
        self._owned[rel] = obj
        return obj

    def _created_dir(self, rel: str) -> Path:
        directory = self._dir(rel, create=True)
        assert directory is not None  # (create=True makes it)
        return directory

    # ------------------------------------------------------------------ files

    def path(self, rel: str) -> Path:
        """Where `rel` can be read (through shared directories)."""
        return self.root / rel

    def put_file(self, rel: str, source: Path) -> None:
        """Move `source` into the release at `rel` (a rename: the file keeps its inode)."""
        directory = self._created_dir(posixpath.dirname(rel))
        # os.replace swaps the directory entry; the file the name pointed at before (a hard
        # link shared with older releases) is not touched.
        os.replace(source, directory / posixpath.basename(rel))

    def put_bytes(self, rel: str, data: bytes) -> bool:
        """Write `data` at `rel` unless it already holds exactly that; True if written."""
        current = self.root / rel
        try:
            if current.stat().st_size == len(data) and current.read_bytes() == data:
                return False
        except (FileNotFoundError, NotADirectoryError):
            pass
        directory = self._created_dir(posixpath.dirname(rel))
        target = directory / posixpath.basename(rel)
        try:
            target.unlink()  # a shared hard link: never open it for writing
        except FileNotFoundError:
            pass
        with open(target, "xb") as handle:
            handle.write(data)
        return True

    def remove(self, rel: str) -> bool:
        """Remove the file `rel`; directories left empty go too. True if it existed."""
        parent_rel = posixpath.dirname(rel)
        directory = self._dir(parent_rel, create=False)
        if directory is None:
            return False
        try:
            (directory / posixpath.basename(rel)).unlink()
        except FileNotFoundError:
            return False
        while parent_rel:
            with os.scandir(directory) as entries:
                if next(entries, None) is not None:
                    break
            grand_rel = posixpath.dirname(parent_rel)
            grand = self._owned[grand_rel]
            (grand / posixpath.basename(parent_rel)).unlink()
            directory.rmdir()  # an object this build created: nothing else refers to it
            del self._owned[parent_rel]
            parent_rel, directory = grand_rel, grand
        return True


def _link_entries(source: str | Path, target: Path) -> None:
    """Hard-link every entry of `source` into `target` (symlinks included: no new inode per
    entry). A publish copies a few thousand entries this way (the search index's touched
    shard directories): names relative to open directories spare the kernel a walk of
    both paths and Python a path object per entry, which halves the time."""
    source_fd = os.open(source, os.O_RDONLY | os.O_DIRECTORY)
    try:
        target_fd = os.open(target, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for name in os.listdir(source_fd):
                os.link(name, name, src_dir_fd=source_fd, dst_dir_fd=target_fd, follow_symlinks=False)
        finally:
            os.close(target_fd)
    finally:
        os.close(source_fd)


def adopt_tree(releases_dir: Path, name: str) -> int:
    """Turn a freshly built real tree ``releases_dir/name`` into a release root plus objects
    (after a full build), so later releases can share its directories. Returns the number
    of directories converted."""
    releases_dir = Path(releases_dir)
    root = releases_dir / name
    objects = _objects_of(releases_dir, name)
    count = 0
    root_str = str(root)
    # Bottom-up: a directory's children are already objects (with links written relative
    # to the directory's final place in the pool) when the directory itself moves there.
    for directory, _subdirs, _files in os.walk(root, topdown=False):
        if directory == root_str:
            continue
        os.rename(directory, objects / str(count))
        os.symlink(_link_text(name, count, from_root=os.path.dirname(directory) == root_str), directory)
        count += 1
    return count


# ---------------------------------------------------------------------------- reading


def walk_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of every file of a release, through its shared directories.

    pathlib's rglob and os.walk do not follow directory symlinks by default: use this to
    look at a whole release.
    """
    root = Path(root)
    for directory, subdirs, files in os.walk(root, followlinks=True):
        subdirs.sort()
        rel_dir = os.path.relpath(directory, root)
        for name in sorted(files):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
            yield rel, Path(directory) / name


def disk_usage(roots: Iterable[str | os.PathLike[str]]) -> int:
    """Bytes used by the given release roots together, counting every inode once
    (shared directories and hard-linked files are paid for once)."""
    seen: set[int] = set()
    total = 0
    for root in roots:
        for directory, subdirs, files in os.walk(root, followlinks=True):
            for name in [*subdirs, *files, "."]:
                try:
                    st = os.lstat(os.path.join(directory, name))
                except FileNotFoundError:
                    continue
                if st.st_ino not in seen:
                    seen.add(st.st_ino)
                    total += st.st_blocks * 512
    return total


# ---------------------------------------------------------------------------- pruning


def dead_objects(doomed_root: Path, kept_roots: list[Path]) -> list[Path]:
    """Objects reachable from `doomed_root` that no kept release has at the same path.

    Descends only into directories whose object differs from every kept release's at
    that path: shared subtrees are identical (objects never change), so the walk costs
    what differs between the trees, not the size of the site. Each object has exactly one
    symlink inode (made with it, then only hard-linked), so equal inode numbers — which
    the directory listing gives without a system call per entry — mean the same object.
    """
    dead: list[Path] = []
    stack: list[tuple[str, list[str]]] = [(str(doomed_root), [str(k) for k in kept_roots])]
    while stack:
        directory, counterparts = stack.pop()
        try:
            entries = [e for e in os.scandir(directory) if e.is_symlink()]
        except FileNotFoundError:  # already deleted by an interrupted earlier prune
            continue
        if not entries:
            continue
        kept_links: list[dict[str, tuple[int, str]]] = []
        for kept in counterparts:
            try:
                kept_links.append({e.name: (e.inode(), e.path) for e in os.scandir(kept) if e.is_symlink()})
            except FileNotFoundError:
                continue
        for entry in entries:
            inode = entry.inode()
            if any(links.get(entry.name, (None,))[0] == inode for links in kept_links):
                continue
            text = os.readlink(entry.path)
            # The kept releases' links at this path, and the objects they point at.
            links_there = [links[entry.name][1] for links in kept_links if entry.name in links]
            targets = [os.readlink(path) for path in links_there]
            # The same object behind another link inode (a link made by other means than
            # a hard link) is still shared: compare the targets before calling it dead.
            if any(object_id(target) == object_id(text) for target in targets):
                continue
            obj = os.path.normpath(os.path.join(directory, text))
            dead.append(Path(obj))
            stack.append(
                (
                    obj,
                    [
                        os.path.normpath(os.path.join(os.path.dirname(path), target))
                        for path, target in zip(links_there, targets)
                    ],
                )
            )
    return dead


def delete_release(releases_dir: Path, root: Path, kept_roots: list[Path], *, collect: bool = True) -> None:
    """Delete a complete release and the objects only it used.

    The root is first renamed to ``.pruning-<name>`` (atomic): from then on it is no
    longer a release anyone can switch to, and an interrupted prune is finished by
    ``finish_interrupted_prunes`` instead of mistaking it for an unfinished build (whose
    objects could all go; these may still be shared).
    """
    releases_dir = Path(releases_dir)
    pruning = releases_dir / f"{PRUNING_PREFIX}{root.name}"
    os.rename(root, pruning)
    if collect:  # else finish_interrupted_prunes collects it later (tests of interrupted prunes)
        _delete_pruning(releases_dir, pruning, kept_roots)


def _delete_pruning(releases_dir: Path, pruning: Path, kept_roots: list[Path]) -> set[Path]:
    """Delete a pruned release and its dead objects; returns the pool folders they were in.
    The caller must hold the build lock (dead_objects needs the kept releases to stay)."""
    dead = dead_objects(pruning, kept_roots)
    pools = delete_dead(pruning, dead)
    remove_empty_pools(releases_dir, pools)
    return pools


def delete_dead(pruning: Path, dead: list[Path]) -> set[Path]:
    """Delete objects found dead, then the pruned root (under the build lock, like the
    search for them: docs/decisions/0005)."""
    pools = {obj.parent for obj in dead}
    for obj in dead:
        shutil.rmtree(obj, ignore_errors=True)
    shutil.rmtree(pruning, ignore_errors=True)  # does not follow the symlinks inside
    return pools


def finish_interrupted_prunes(releases_dir: Path, kept_roots: list[Path]) -> list[str]:
    """Garbage-collect every ``.pruning-*`` release (left by delete_release(collect=False),
    or by a prune that was interrupted). The caller holds the build lock. It only deletes
    objects no kept release has, and tolerates what is already gone."""
    releases_dir = Path(releases_dir)
    done = []
    for path in sorted(releases_dir.glob(f"{PRUNING_PREFIX}*")):
        _delete_pruning(releases_dir, path, kept_roots)
        done.append(path.name)
    return done


def delete_unfinished(releases_dir: Path, name: str) -> None:
    """Remove what an unfinished (failed or killed) build left: its root and every object
    it created. No complete release refers to them: a release only inherits from
    complete ones."""
    releases_dir = Path(releases_dir)
    shutil.rmtree(releases_dir / OBJECTS_DIR / name, ignore_errors=True)
    shutil.rmtree(releases_dir / name, ignore_errors=True)


def remove_empty_pools(releases_dir: Path, pools: Iterable[Path] | None = None) -> None:
    """Remove empty pool folders: those given (whose objects were just deleted), or all
    (an O(releases ever built) listing: only for tests and tidying by hand)."""
    if pools is None:
        pool = Path(releases_dir) / OBJECTS_DIR
        pools = [p for p in pool.iterdir() if p.name != LEGACY_STANDBY_DIR] if pool.is_dir() else []
    for creator in pools:
        try:
            creator.rmdir()  # only succeeds when empty
        except OSError:
            pass
