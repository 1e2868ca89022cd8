"""`manage.py backup` and `manage.py restore` as an operator runs them: a demo installation
with member progress is backed up and restored into an empty database and an empty VAR_DIR
on PostgreSQL and on SQLite; pages, users, progress, media and the built site must match."""

import io
import tarfile

import pytest

from tests.production import Installation, PostgresDatabases, html_files

PROGRESS = """
from django.utils import timezone
from cms.accounts.models import User
from cms.study import selectors, services
member = User.objects.get(username="member1")
course = selectors.courses_for(member)[0]
lessons = list(selectors.lessons_of(course))
services.open_lesson(member, lessons[0])
services.record_study_time(member, lessons[0].pk, 40, now=timezone.now() + timezone.timedelta(seconds=45))
services.open_lesson(member, lessons[1])
result = None
"""

SNAPSHOT = """
from wagtail.models import Page
from cms.accounts.models import User
from cms.study.models import LessonProgress
result = {
    "pages": list(Page.objects.order_by("id").values_list("id", "title", "url_path", "live", "latest_revision_id")),
    "users": list(User.objects.order_by("id").values_list("id", "username", "password", "email", "is_active")),
    "progress": list(LessonProgress.objects.order_by("id").values_list(
        "id", "user__username", "lesson_id", "seconds_spent", "opened_at", "completed_at")),
}
"""


@pytest.fixture
def postgres():
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


def media_files(installation):
    media = installation.var / "media"
    return {p.relative_to(media).as_posix(): p.read_bytes() for p in media.rglob("*") if p.is_file()}


def round_trip(source: Installation, target: Installation, archive):
    source.deploy()
    source.shell_json(PROGRESS)
    before = source.shell_json(SNAPSHOT)
    assert before["progress"], "the demo member has progress rows to back up"
    site_before = html_files(source.current)
    assert "index.html" in site_before and len(site_before) > 20

    out = source.manage("backup", "--output", str(archive)).stdout
    assert "备份完成" in out
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "release.json", "content.git/HEAD"} <= names
    assert any(name.startswith("media/original_images/") for name in names)

    out = target.manage("restore", str(archive)).stdout
    assert "恢复完成" in out
    assert target.shell_json(SNAPSHOT) == before
    assert media_files(target) == media_files(source)
    assert html_files(target.current) == site_before
    assert (target.content / "index.md").read_text(encoding="utf-8") == (source.content / "index.md").read_text(
        encoding="utf-8"
    )

    # A second restore into the now filled installation is refused and changes nothing.
    refused = target.manage("restore", str(archive), check=False)
    assert refused.returncode != 0 and "不是空的" in refused.stderr and "--force" in refused.stderr
    assert target.shell_json(SNAPSHOT) == before
    # --force overwrites it: a member's progress made after the backup is gone again.
    target.shell_json(
        "from cms.study.models import LessonProgress\nLessonProgress.objects.all().delete()\nresult = None"
    )
    assert "恢复完成" in target.manage("restore", "--force", str(archive)).stdout
    assert target.shell_json(SNAPSHOT) == before
    assert html_files(target.current) == site_before


def test_round_trip_on_postgresql(tmp_path, postgres):
    # No skip when pg_dump or the server is missing: the machine has both, and a backup
    # that cannot dump PostgreSQL must fail this test.
    source = Installation(tmp_path / "old", postgres.create("src"))
    target = Installation(tmp_path / "new", postgres.create("dst"))
    round_trip(source, target, tmp_path / "backup.tar.gz")


def test_round_trip_on_sqlite(tmp_path):
    source = Installation(tmp_path / "old", f"sqlite:///{tmp_path / 'old.sqlite3'}")
    target = Installation(tmp_path / "new", f"sqlite:///{tmp_path / 'new' / 'db.sqlite3'}")
    round_trip(source, target, tmp_path / "backup.tar.gz")


def test_a_damaged_archive_is_refused_before_anything_is_restored(tmp_path):
    source = Installation(tmp_path / "old", f"sqlite:///{tmp_path / 'old.sqlite3'}")
    source.migrate()
    archive = tmp_path / "backup.tar.gz"
    source.manage("backup", "--output", str(archive))
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as tar, tarfile.open(damaged, "w:gz") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read() if member.isfile() else None
            if member.name == "database.sqlite3":
                data = data[:-1] + bytes([data[-1] ^ 1])  # one bit flipped
            out.addfile(member, io.BytesIO(data) if data is not None else None)
    target = Installation(tmp_path / "new", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    result = target.manage("restore", str(damaged), check=False)
    assert result.returncode != 0 and "校验和不符" in result.stderr
    assert not (target.var / "content.git").exists()
    assert target.shell_json("from django.db import connection\nresult = connection.introspection.table_names()") == []


def test_a_backup_waits_for_the_publisher_that_is_committing(tmp_path):
    """A backup taken while a publisher holds the publishing lock waits for it, so the
    content repository is never archived half-way through a commit."""
    import subprocess
    import sys
    import time

    from build_scripts.locking import exclusive_lock
    from tests.production import REPO

    installation = Installation(tmp_path / "srv", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    installation.migrate()
    archive = tmp_path / "backup.tar.gz"
    with exclusive_lock(installation.var / "publishing.lock"):
        backup = subprocess.Popen(
            [sys.executable, "manage.py", "backup", "--output", str(archive)],
            cwd=REPO,
            env=installation.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(5)
        assert backup.poll() is None and not archive.exists(), "the backup ran while a publisher held the lock"
    out, err = backup.communicate(timeout=120)
    assert backup.returncode == 0, err
    assert "备份完成" in out and archive.is_file()
