import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls
# from such a thread unless told this is intended (live_server tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def site_paths(settings, tmp_path) -> dict[str, Path]:
    """Point content/, its git dir, the site releases and media at this test's tmp dir."""
    paths = {
        "VAR_DIR": tmp_path / "var",
        "CONTENT_DIR": tmp_path / "content",
        "CONTENT_GIT_DIR": tmp_path / "var" / "content.git",
        "SITE_RELEASES_DIR": tmp_path / "var" / "site",
        "MEDIA_ROOT": tmp_path / "var" / "media",
    }
    for name, value in paths.items():
        setattr(settings, name, value)
    paths["VAR_DIR"].mkdir(parents=True)
    return paths


@pytest.fixture
def home(db, site_paths):
    from cms.bootstrap.roles import setup_roles
    from cms.openness.services import ensure_home_page

    page = ensure_home_page(intro="首页导语")
    setup_roles()
    return page


@pytest.fixture
def editor(home):
    """王编辑 of the group 编辑 (home runs setup_roles)."""
    from cms.accounts.roles import EDITOR
    from tests.factories import UserFactory

    return UserFactory(username="editor", last_name="王", first_name="编辑", groups=[EDITOR])


@pytest.fixture
def reviewer(home):
    """李审核 of the group 审核, the workflow's approvers."""
    from cms.accounts.roles import REVIEWER
    from tests.factories import UserFactory

    return UserFactory(username="reviewer", last_name="李", first_name="审核", groups=[REVIEWER])


@pytest.fixture
def publish(site_paths):
    """Run the publish step the worker runs; fail the test if the site build failed."""
    from cms.publishing import services
    from cms.publishing.models import SiteBuild

    def run(*, force_build: bool = True, expect_success: bool = True):
        build = services.publish_pending_changes(force_build=force_build)
        if expect_success:
            assert build is not None and build.status == SiteBuild.Status.SUCCEEDED, build and build.error
        return build

    return run


@pytest.fixture
def public_site(site_paths):
    """Read files of the release the public site currently serves."""

    class PublicSite:
        @property
        def root(self) -> Path:
            return (site_paths["SITE_RELEASES_DIR"] / "current").resolve()

        def text(self, path: str) -> str:
            return (self.root / path).read_text(encoding="utf-8")

        def exists(self, path: str) -> bool:
            return (self.root / path).exists()

        def all_text(self) -> str:
            from build_scripts.release_tree import walk_files

            # walk_files goes through the directories releases share (rglob would not).
            chunks = []
            for _rel, file in walk_files(self.root):
                if file.suffix in {".html", ".json", ".xml", ".txt", ".js"}:
                    chunks.append(file.read_text(encoding="utf-8", errors="replace"))
            return "\n".join(chunks)

    return PublicSite()


# The worker closes stale connections between tasks like a real process does, which needs
# real commits: tests that run it go outside the per-test transaction, and
# serialized_rollback restores Wagtail's migration-created rows (root page, locale,
# collection) after the flush.
WORKER_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def pytest_collection_modifyitems(config, items):
    # Every transactional test (worker tests, live_server browser tests) gets serialized
    # rollback: a plain flush in one would break Wagtail's migration-made rows for the next.
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        marker = item.get_closest_marker("django_db")
        transactional = bool(fixtures & {"live_server", "transactional_db"}) or (
            marker is not None and marker.kwargs.get("transaction"))
        if transactional and not (marker is not None and marker.kwargs.get("serialized_rollback")):
            item.add_marker(WORKER_DB, append=False)  # prepended: the closest marker wins


# ----------------------------------------------------------------------------- worker processes

REPO_ROOT = Path(__file__).resolve().parent.parent


def database_url_for_subprocess() -> str:
    """DATABASE_URL of the database this test uses (the test database), for a process the
    test starts: a file for SQLite (cms/settings/test.py), test_<name> on PostgreSQL."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        assert "memory" not in name, "the SQLite test database must be a file (cms/settings/test.py)"
        return f"sqlite:///{Path(name).resolve()}"
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


@pytest.fixture
def worker_processes(site_paths, tmp_path):
    """Start real `manage.py worker` processes on this test's database and paths.

    ``start(pause_at=name)`` makes the process stop at that pause point
    (build_scripts/failpoints.py); ``pause_marker(name)`` is the file it then creates. Every
    process still running at the end is killed (the test database is flushed after)."""
    import subprocess
    import sys

    started = []
    pause_dir = tmp_path / "pauses"
    logs = tmp_path / "worker-logs"
    logs.mkdir()

    class Workers:
        def start(self, *, pause_at: str | None = None, interval: float = 0.1):
            env = {key: value for key, value in os.environ.items() if not key.startswith("DANGJIAN_PAUSE")}
            env.update({
                "DJANGO_SETTINGS_MODULE": "cms.settings.test",
                "DATABASE_URL": database_url_for_subprocess(),
                "DANGJIAN_PAUSE_DIR": str(pause_dir),
                "PYTHONUNBUFFERED": "1",
                **{name: str(site_paths[name]) for name in
                   ("VAR_DIR", "CONTENT_DIR", "CONTENT_GIT_DIR", "SITE_RELEASES_DIR", "MEDIA_ROOT")},
            })
            if pause_at:
                env["DANGJIAN_PAUSE_AT"] = pause_at
            log = open(logs / f"worker-{len(started)}-{pause_at or 'normal'}.log", "wb")
            process = subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--interval", str(interval)],
                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            log.close()
            started.append(process)
            return process

        def pause_marker(self, name: str) -> Path:
            return pause_dir / name

        def logs(self) -> str:
            return "\n".join(f"== {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                             for path in sorted(logs.iterdir()))

        def stop(self, process) -> None:
            """As systemd stops it: SIGTERM, the worker finishes its task and exits."""
            process.terminate()
            process.wait(timeout=60)

    yield Workers()
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def wait_until(condition, *, timeout: float = 60, message: str = "", explain=lambda: ""):
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s: {message}\n{explain()}")
        time.sleep(0.1)
