"""Backups and restores of a whole installation: one tar.gz archive.

What an archive holds (`manifest.json` lists every file with its SHA-256):

* `database.dump` (PostgreSQL, `pg_dump --format=custom`) or `database.sqlite3` (SQLite's
  online backup API): a consistent snapshot while the app runs, never `dumpdata`;
* `media/`: uploaded images, renditions, documents, video and audio (MEDIA_ROOT);
* `content.git/`: the content repository's git directory (CONTENT_GIT_DIR); content/ is
  its checkout and is made again on restore;
* `release.json`: which release was live and which content commit it was built from.

The database and the content repository are taken while holding the publishing lock, so
no publisher is half-way through a commit and the ContentChange rows agree with the
repository. Restore refuses a database that already has tables (unless forced), then
restores the database, media and content, migrates, and rebuilds the site from the
restored content, so `current` serves the same pages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

FORMAT = 1
MANIFEST = "manifest.json"
RELEASE_JSON = "release.json"
DUMP_NAMES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """Refused or failed; the message is for the operator (Chinese)."""


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict
    release: str
    commit: str


# --------------------------------------------------------------------------- helpers


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files_under(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def _versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in ("dangjian", "django", "wagtail", "djangorestframework", "mkdocs-material"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(f"不支持的数据库类型：{vendor}（仅支持 PostgreSQL 和 SQLite）")
    return vendor


def _pg_command(program: str) -> tuple[list[str], dict]:
    """Connection arguments and environment for pg_dump/pg_restore from the settings."""
    if shutil.which(program) is None:
        raise BackupError(f"找不到 {program}：请安装 PostgreSQL 客户端（Debian 软件包 postgresql-client）")
    params = connection.settings_dict
    args = [program, "--no-owner", "--no-privileges"]
    if params.get("HOST"):
        args += ["--host", params["HOST"]]
    if params.get("PORT"):
        args += ["--port", str(params["PORT"])]
    if params.get("USER"):
        args += ["--username", params["USER"]]
    env = {**os.environ}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = params["PASSWORD"]
    return args, env


def _run(args: list[str], env: dict) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{args[0]} 失败（退出码 {result.returncode}）：{result.stderr.strip()}")


def _dump_database(vendor: str, target: Path) -> None:
    if vendor == "postgresql":
        args, env = _pg_command("pg_dump")
        _run([*args, "--format=custom", "--file", str(target), connection.settings_dict["NAME"]], env)
        return
    # SQLite's online backup API copies a consistent snapshot while other processes write.
    source = sqlite3.connect(connection.settings_dict["NAME"])
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


# --------------------------------------------------------------------------- backup


def default_archive_path() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.VAR_DIR) / "backups" / f"dangjian-{stamp}.tar.gz"


def create_backup(archive: Path) -> dict:
    """Write the archive; returns its manifest."""
    from build_scripts.site_build import current_release
    from cms.publishing.services import publishing_lock

    vendor = _vendor()
    archive = Path(archive).resolve()
    archive.parent.mkdir(parents=True, exist_ok=True)
    git_dir = Path(settings.CONTENT_GIT_DIR)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="dangjian-backup-", dir=archive.parent) as staging:
        staging = Path(staging)
        # Database, content repository and release metadata from one moment: no publisher
        # commits while we hold the lock (publishing and content rollback both take it).
        with publishing_lock():
            _dump_database(vendor, staging / DUMP_NAMES[vendor])
            if (git_dir / "HEAD").is_file():
                # With its media store (lfs/: the published media), not a store's unfinished temporaries.
                shutil.copytree(
                    git_dir,
                    staging / "content.git",
                    symlinks=True,
                    ignore=shutil.ignore_patterns("*.lock", "incoming-*"),
                )
            release = current_release(Path(settings.SITE_RELEASES_DIR))
            release_data = release.to_dict() if release else None
            if release_data:
                release_data.pop("path")
            (staging / RELEASE_JSON).write_text(
                json.dumps({"current": release_data}, ensure_ascii=False, indent=2), encoding="utf-8"
            )
        files = {}
        for path in _files_under(staging):
            files[path.relative_to(staging).as_posix()] = _sha256(path)
        # Media is added straight from MEDIA_ROOT (it can be large); uploads go on meanwhile,
        # and a file that is being replaced is skipped rather than archived half-written.
        media_files = []
        if media_root.is_dir():
            for path in _files_under(media_root):
                name = "media/" + path.relative_to(media_root).as_posix()
                try:
                    files[name] = _sha256(path)
                except FileNotFoundError:
                    continue
                media_files.append((path, name))
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "host": platform.node(),
            "database": vendor,
            "versions": _versions(),
            "release": release_data,
            "content_head": _git_head(staging / "content.git"),
            "files": files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(staging / MANIFEST, arcname=MANIFEST)
            for path in _files_under(staging):
                name = path.relative_to(staging).as_posix()
                if name != MANIFEST:
                    tar.add(path, arcname=name)
            for path, name in media_files:
                try:
                    tar.add(path, arcname=name)
                except FileNotFoundError:
                    del manifest["files"][name]
        # Only a complete archive gets the final name.
        os.replace(partial, archive)
    return manifest


def _git_head(git_dir: Path) -> str | None:
    if not (git_dir / "HEAD").is_file():
        return None
    result = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", "--verify", "-q", "HEAD"], capture_output=True, text=True
    )
    return result.stdout.strip() or None


# --------------------------------------------------------------------------- restore


def database_is_empty() -> bool:
    return not connection.introspection.table_names()


def _read_archive(archive: Path, into: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"无法读取备份文件 {archive}：{error}") from error
    try:
        manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"备份文件中没有有效的 {MANIFEST}：{error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不认识的备份格式：{manifest.get('format')}")
    for name, checksum in manifest["files"].items():
        path = into / name
        if not path.is_file():
            raise BackupError(f"备份文件不完整：缺少 {name}")
        if _sha256(path) != checksum:
            raise BackupError(f"备份文件已损坏：{name} 的校验和不符")
    return manifest


def _restore_database(vendor: str, dump: Path, *, force: bool) -> None:
    if vendor == "postgresql":
        if force:
            with connection.cursor() as cursor:
                cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        connection.close()
        args, env = _pg_command("pg_restore")
        _run(
            [*args, "--exit-on-error", "--single-transaction", "--dbname", connection.settings_dict["NAME"], str(dump)],
            env,
        )
        return
    name = connection.settings_dict["NAME"]
    connection.close()
    source = sqlite3.connect(dump)
    target = sqlite3.connect(name)
    try:
        source.backup(target)  # replaces the whole database, WAL included
    finally:
        target.close()
        source.close()


def _replace_dir(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True)
    else:
        target.mkdir()


def check_target(*, force: bool) -> None:
    """Refuse to overwrite data unless forced: a database with tables, a content repository."""
    if force:
        return
    problems = []
    if not database_is_empty():
        problems.append(f"数据库 {connection.settings_dict['NAME']} 不是空的")
    if (Path(settings.CONTENT_GIT_DIR) / "HEAD").exists():
        problems.append(f"内容仓库 {settings.CONTENT_GIT_DIR} 已存在")
    if problems:
        raise BackupError("；".join(problems) + "。恢复会覆盖这些数据：确认无误后加 --force 重试。")


def restore_backup(archive: Path, *, force: bool = False, stdout=None) -> RestoreResult:
    from build_scripts.content_repo import ContentRepo
    from cms.publishing import services
    from cms.publishing.models import SiteBuild

    vendor = _vendor()
    archive = Path(archive).resolve()
    if not archive.is_file():
        raise BackupError(f"找不到备份文件 {archive}")
    check_target(force=force)
    var_dir = Path(settings.VAR_DIR)
    var_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dangjian-restore-", dir=var_dir) as unpacked:
        unpacked = Path(unpacked)
        manifest = _read_archive(archive, unpacked)
        if manifest["database"] != vendor:
            raise BackupError(
                f"备份来自 {manifest['database']} 数据库，当前配置的是 {vendor}：请设置相应的 DATABASE_URL"
            )
        _restore_database(vendor, unpacked / DUMP_NAMES[vendor], force=force)
        # A newer code version than the backup's: bring the schema up to date.
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        cache.clear()  # entries the old installation cached (site root paths, renditions)
        _replace_dir(unpacked / "media", Path(settings.MEDIA_ROOT))
        git_dir, content_dir = Path(settings.CONTENT_GIT_DIR), Path(settings.CONTENT_DIR)
        with services.publishing_lock():
            _replace_dir(unpacked / "content.git", git_dir)
    if content_dir.exists():
        shutil.rmtree(content_dir)
    if (git_dir / "HEAD").is_file():
        repo = ContentRepo(content_dir, git_dir)
        # The git dir names its work tree by absolute path: this machine's may differ.
        with repo.repo.config_writer() as config:
            config.set_value("core", "worktree", str(content_dir.resolve()))
        content_dir.mkdir(parents=True, exist_ok=True)
        repo.reset_work_tree()
    # The live release is rebuilt from the restored content (and any change the backup
    # caught committed but not yet released): the same pages as before.
    build = services.publish_pending_changes(force_build=True)
    if build is None or build.status != SiteBuild.Status.SUCCEEDED:
        raise BackupError("数据已恢复，但网站构建失败：" + (build.error if build else "没有构建"))
    return RestoreResult(manifest=manifest, release=build.release, commit=build.commit)
