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

import os
import posixpath
import shutil
import subprocess
import threading
from pathlib import Path

OBJECTS_DIR = ".objects"
PRUNING_PREFIX = ".pruning-"


class TreeError(Exception):
    """The release tree is not in the expected shape (a bug, not a content problem)."""


def _link_text(creator: str, number: int, *, from_root: bool) -> str:
    # Relative, so the releases directory can move: from a release root the object pool
    # is a sibling directory, from inside an object its siblings are two levels up.
    return (f"../{OBJECTS_DIR}/{creator}/{number}" if from_root else f"../../{creator}/{number}")


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

    def __init__(self, releases_dir: Path, name: str, base: Path | None, *, skip=(),
                 standby: "Background | None" = None) -> None:
        self.releases_dir = Path(releases_dir)
        self.name = name
        self.root = self.releases_dir / name
        self.objects = self.releases_dir / OBJECTS_DIR / name
        self.standby = standby  # copies of shared directories prepared ahead (see Background)
        self._counter = 0
        self._owned: dict[str, Path] = {"": self.root}
        self.copied: dict[str, int] = {}  # rel dir -> entries, of shared directories copied
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

    def _new_object(self, prepared: Path | None = None) -> Path:
        if self._counter == 0:
            self.objects.mkdir(parents=True, exist_ok=True)
        path = self.objects / str(self._counter)
        self._counter += 1
        if prepared is not None:
            os.rename(prepared, path)
        else:
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
            prepared = self.standby.take(shared) if self.standby is not None else None
            obj = self._new_object(prepared)
            if prepared is None:
                _link_entries(shared, obj)
            entry.unlink()
            self.directories_copied += 1
            self.copied[rel] = sum(1 for _ in os.scandir(obj)) if prepared is None else -1
        os.symlink(_link_text(self.name, int(obj.name), from_root=parent_rel == ""), entry)
        self._owned[rel] = obj
        return obj

    # ------------------------------------------------------------------ files

    def path(self, rel: str) -> Path:
        """Where `rel` can be read (through shared directories)."""
        return self.root / rel

    def put_file(self, rel: str, source: Path) -> None:
        """Move `source` into the release at `rel` (a rename: the file keeps its inode)."""
        directory = self._dir(posixpath.dirname(rel), create=True)
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
        directory = self._dir(posixpath.dirname(rel), create=True)
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


    def big_copies(self, threshold: int) -> list[Path]:
        """This release's private copies of directories with at least `threshold` entries
        that were shared before: the likeliest to be copied again by the next build."""
        found = []
        for rel, entries in self.copied.items():
            if rel in self._owned and (entries < 0 or entries >= threshold):
                found.append(Path(os.path.realpath(self._owned[rel])))
        return found


def _link_entries(source: str | Path, target: Path) -> None:
    with os.scandir(source) as entries:
        for item in entries:
            # Hard links, symlinks included: no new inode per entry.
            os.link(item.path, target / item.name, follow_symlinks=False)


def adopt_tree(releases_dir: Path, name: str) -> int:
    """Turn a freshly built real tree ``releases_dir/name`` into a release root plus objects
    (after a full build), so later releases can share its directories. Returns the number
    of directories converted."""
    releases_dir = Path(releases_dir)
    root = releases_dir / name
    objects = releases_dir / OBJECTS_DIR / name
    objects.mkdir(parents=True, exist_ok=True)
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


def walk_files(root: Path):
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


def disk_usage(roots) -> int:
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
            stack.append((obj, [os.path.normpath(os.path.join(os.path.dirname(path), target))
                                for path, target in zip(links_there, targets)]))
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
    if collect:  # else the caller has it collected later (Background.collect)
        _delete_pruning(releases_dir, pruning, kept_roots)


def _delete_pruning(releases_dir: Path, pruning: Path, kept_roots: list[Path], *, tidy: bool = True) -> set[Path]:
    """Delete a pruned release and its dead objects; returns the pool folders they were in.
    The caller must hold the build lock (dead_objects needs the kept releases to stay)."""
    dead = dead_objects(pruning, kept_roots)
    pools = delete_dead(pruning, dead)
    if tidy:  # (not while a build may be creating its pool folder: see Background)
        remove_empty_pools(releases_dir, pools)
    return pools


def delete_dead(pruning: Path, dead: list[Path], pause=None) -> set[Path]:
    """Delete objects found dead, then the pruned root. Needs no lock: an object no kept
    release had when it was found dead can never be used again (a release only inherits
    from complete releases).

    With `pause` (the worker's background thread), deletion waits until no build runs in
    this process, then happens in a child process at low priority: thousands of unlink
    calls from a Python thread would hold the GIL against the worker's main thread,
    which must pick up and run the next publish.
    """
    pools = {obj.parent for obj in dead}
    if pause is not None and shutil.which("rm"):
        pause()
        command = ["rm", "-rf", "--", *map(str, dead), str(pruning)]
        if shutil.which("nice"):
            command = ["nice", "-n", "10", *command]
        if subprocess.run(command, capture_output=True).returncode == 0:
            return pools
    for obj in dead:
        shutil.rmtree(obj, ignore_errors=True)
    shutil.rmtree(pruning, ignore_errors=True)  # does not follow the symlinks inside
    return pools


def finish_interrupted_prunes(releases_dir: Path, kept_roots: list[Path], *, tidy: bool = True) -> list[str]:
    """Garbage-collect every ``.pruning-*`` release (left by delete_release(collect=False),
    or by a prune that was interrupted). The caller holds the build lock. It only deletes
    objects no kept release has, and tolerates what is already gone."""
    releases_dir = Path(releases_dir)
    done = []
    for path in sorted(releases_dir.glob(f"{PRUNING_PREFIX}*")):
        _delete_pruning(releases_dir, path, kept_roots, tidy=tidy)
        done.append(path.name)
    return done


def delete_unfinished(releases_dir: Path, name: str) -> None:
    """Remove what an unfinished (failed or killed) build left: its root and every object
    it created. No complete release refers to them: a release only inherits from
    complete ones."""
    releases_dir = Path(releases_dir)
    shutil.rmtree(releases_dir / OBJECTS_DIR / name, ignore_errors=True)
    shutil.rmtree(releases_dir / name, ignore_errors=True)


def remove_empty_pools(releases_dir: Path, pools=None) -> None:
    """Remove empty pool folders: those given (whose objects were just deleted), or all
    (an O(releases ever built) listing: only for tests and tidying by hand)."""
    if pools is None:
        pool = Path(releases_dir) / OBJECTS_DIR
        pools = [p for p in pool.iterdir() if p.name != STANDBY_DIR] if pool.is_dir() else []
    for creator in pools:
        try:
            creator.rmdir()  # only succeeds when empty
        except OSError:
            pass


# ---------------------------------------------------------------------------- background work


STANDBY_DIR = ".standby"


class Background:
    """Work a long-lived process (the worker) does between builds, off the publish path,
    on two threads of its own:

    * **standby copies**: after a build, private copies of the big directories it copied
      (a section with thousands of article directories) are made ahead of time; the next
      build that must copy the same shared directory takes the ready copy (a rename)
      instead of hard-linking thousands of entries while an editor waits. Back-to-back
      publishes overlap it with their own rendering. Unused copies are deleted.
    * **garbage collection** of pruned releases (``.pruning-*``): finding and deleting the
      directories only they used.

    Neither needs the build lock: objects never change once their release is complete,
    a build only inherits objects of complete releases, so an object that no kept release
    uses now is used by no later release either (and the standby copies are nobody's).
    """

    def __init__(self, releases_dir: Path) -> None:
        self.releases_dir = Path(releases_dir)
        self.standby_dir = self.releases_dir / OBJECTS_DIR / STANDBY_DIR
        # One pair of threads per process, whatever the number of releases directories.
        self._copier, self._janitor = _executors()
        self._lock = threading.Lock()
        self._prepared: dict[str, object] = {}  # shared object path -> future of its copy
        self._counter = 0
        self._idle = threading.Event()  # no build running in this process
        self._idle.set()
        self._untidy: set[Path] = set()

    # standby copies

    def prepare(self, sources: list[Path]) -> None:
        with self._lock:
            for source in sources:
                key = str(source)
                if key not in self._prepared:
                    self._counter += 1
                    target = self.standby_dir / f"{os.getpid()}-{self._counter}"
                    self._prepared[key] = self._copier.submit(self._copy, source, target)

    def _copy(self, source: Path, target: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        # GNU cp hard-links the entries, symlinks included (-a: no dereferencing). A child
        # process, because a Python loop of os.link on this thread would wait for the GIL
        # after every call while the next build renders on the main thread.
        if subprocess.run(["cp", "-al", "--", str(source), str(target)], capture_output=True).returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            _link_entries(source, target)
        return target

    def take(self, source: str) -> Path | None:
        """The ready copy of shared directory `source`, or None (the caller copies it)."""
        with self._lock:
            future = self._prepared.pop(str(source), None)
        if future is None:
            return None
        if future.cancel():  # not started yet: copying it now beats waiting in line
            return None
        try:
            return future.result()
        except OSError:
            return None

    def discard_unused(self) -> None:
        """Delete the copies no build took (called when a build has assembled its tree)."""
        with self._lock:
            futures, self._prepared = list(self._prepared.values()), {}
        for future in futures:
            if not future.cancel():
                self._janitor.submit(self._discard, future)

    def _discard(self, future) -> None:
        try:
            copy = future.result()
        except OSError:
            return
        delete_dead(copy, [], pause=self._idle.wait)

    # garbage collection

    def collect(self, kept_roots, locked) -> None:
        """Finish every ``.pruning-*`` release in the background.

        Which objects are dead is decided under the build lock (`locked()`), against the
        complete releases of that moment (`kept_roots()`): builds and prunes change the
        set of releases, and a walk over a changing set could find an object unused by
        releases that were pruned meanwhile while a newer release still uses it. That
        walk is short (it visits what differs); the deletions, which need no lock, come
        after it and pause while a build runs in this process.
        """
        def run():
            with locked():
                kept = kept_roots()
                found = [(path, dead_objects(path, kept))
                         for path in sorted(self.releases_dir.glob(f"{PRUNING_PREFIX}*"))]
            pools: set = set()
            for pruning, dead in found:
                pools |= delete_dead(pruning, dead, pause=self._idle.wait)
            with self._lock:
                self._untidy |= pools

        self._janitor.submit(run)

    def building(self, active: bool) -> None:
        """A build starts (True) or ends (False): collection waits meanwhile."""
        (self._idle.clear if active else self._idle.set)()

    def take_untidy_pools(self) -> set:
        """Pool folders collection deleted from, to be removed if empty (under the build
        lock: a build creates its pool folder before its first object)."""
        with self._lock:
            pools, self._untidy = self._untidy, set()
        return pools

    def wait(self) -> None:
        """Block until all work queued so far is done (tests and benchmarks)."""
        self._copier.submit(lambda: None).result()
        self._janitor.submit(lambda: None).result()


_backgrounds: dict[str, Background] = {}
_backgrounds_lock = threading.RLock()  # background() -> Background() -> _executors()
_pool: list = []


def _executors():
    from concurrent.futures import ThreadPoolExecutor

    with _backgrounds_lock:
        if not _pool:
            _pool.extend([ThreadPoolExecutor(max_workers=1, thread_name_prefix="release-standby"),
                          ThreadPoolExecutor(max_workers=1, thread_name_prefix="release-gc")])
        return _pool[0], _pool[1]


def background(releases_dir: Path) -> Background:
    """This process's Background for a releases directory."""
    key = os.path.realpath(releases_dir)
    _executors()
    with _backgrounds_lock:
        if key not in _backgrounds:
            _backgrounds[key] = Background(Path(key))
        return _backgrounds[key]


def clean_stale_standby(releases_dir: Path) -> None:
    """Delete standby copies left by processes that are gone (the caller holds the build
    lock; copies of live processes are theirs to use or delete)."""
    directory = Path(releases_dir) / OBJECTS_DIR / STANDBY_DIR
    if not directory.is_dir():
        return
    for path in directory.iterdir():
        pid = path.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
