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


def _seed_home_and_roles():
    """The home page and the editorial roles, on a fresh test database or after a
    transactional test's flush (which also takes Wagtail's migration-made root page, root
    collection and locale: put those back first)."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Collection, Locale, Page

    from cms.bootstrap.roles import setup_roles
    from cms.openness.services import ensure_home_page

    ContentType.objects.clear_cache()  # a flush with post_migrate renumbers content types
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if not Page.objects.filter(depth=1).exists():
        Page.add_root(instance=Page(title="Root", slug="root", live=True))
    if not Collection.objects.filter(depth=1).exists():
        Collection.add_root(name="Root")
    page = ensure_home_page(intro="首页导语")
    setup_roles()
    return page


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_modify_db_settings):
    """pytest-django's choice, plus: on SQLite the test database starts as a copy of one this
    code migrated once per run (``tests.production.copy_migrated_template``, a real
    ``manage.py migrate``), which Django's set-up keeps and migrates (nothing, or only what
    the test settings add, is left to apply). Migrating from nothing cost ~28 s at the start
    of each test process. (Asks for the xdist-suffixed name first: hence the dependency.)"""
    if request.config.getvalue("reuse_db"):
        return True
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return False
    from tests.production import copy_migrated_template

    copy_migrated_template(f"sqlite:///{database['TEST']['NAME']}")
    return True


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seed each test database once with what most tests start from (``home``): the home page
    and the editorial roles. Setting up the roles writes hundreds of rows and cost about a
    second in each of the ~900 tests that need it; every test now rolls back to this state.

    The seed is the starting point, not something a test did: no on-commit callback runs
    (as inside a test's own transaction, so no publish task is queued), and its audit trail is
    left out, so every test starts from an empty audit log, and so are the background tasks it
    queued (search and reference index updates: no worker runs them here, and a test that runs
    the worker expects only its own). Transactional tests (worker and browser tests) run last
    in each process and flush the database; ``home`` and ``public_home`` seed it again."""
    from django.db import connection, transaction
    from django.test import override_settings
    from django_tasks_db.models import DBTaskResult

    from cms.audit.models import GENESIS_HASH, AuditEntry, ChainHead

    seed_dir = tmp_path_factory.mktemp("seed")
    with (
        django_db_blocker.unblock(),
        override_settings(
            VAR_DIR=seed_dir,
            CONTENT_DIR=seed_dir / "content",
            CONTENT_GIT_DIR=seed_dir / "content.git",
            SITE_RELEASES_DIR=seed_dir / "site",
            MEDIA_ROOT=seed_dir / "media",
        ),
    ):
        with transaction.atomic():
            _seed_home_and_roles()
            AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)  # the ORM refuses deletes, rightly
            ChainHead.objects.update(last_seq=0, last_hash=GENESIS_HASH, anchor_seq=0, anchor_hash=GENESIS_HASH)
            DBTaskResult.objects.all().delete()
            connection.run_on_commit.clear()


@pytest.fixture
def home(db, site_paths):
    from cms.openness.models import HomePage

    page = HomePage.objects.first()
    if page is None:  # a transactional test flushed the seed
        page = _seed_home_and_roles()
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
# real commits: tests that run it go outside the per-test transaction. pytest-django runs
# such tests after the others in each process; their flush takes the seed with it, and the
# ``home`` fixture puts it back.
WORKER_DB = pytest.mark.django_db(transaction=True)


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
            env.update(
                {
                    "DJANGO_SETTINGS_MODULE": "cms.settings.test",
                    "DATABASE_URL": database_url_for_subprocess(),
                    "DANGJIAN_PAUSE_DIR": str(pause_dir),
                    "PYTHONUNBUFFERED": "1",
                    **{
                        name: str(site_paths[name])
                        for name in ("VAR_DIR", "CONTENT_DIR", "CONTENT_GIT_DIR", "SITE_RELEASES_DIR", "MEDIA_ROOT")
                    },
                }
            )
            if pause_at:
                env["DANGJIAN_PAUSE_AT"] = pause_at
            log = open(logs / f"worker-{len(started)}-{pause_at or 'normal'}.log", "wb")
            process = subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--interval", str(interval)],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            started.append(process)
            return process

        def pause_marker(self, name: str) -> Path:
            return pause_dir / name

        def logs(self) -> str:
            return "\n".join(
                f"== {path.name}\n{path.read_text(errors='replace')[-3000:]}" for path in sorted(logs.iterdir())
            )

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


def pytest_sessionfinish(session, exitstatus):
    """Fail a run in which fewer tests reported than were collected: a scheduler or plugin
    that drops tests silently (pytest-xdist's loadgroup did, for test ids that repeat) must
    not pass. Counted in the process that collected everything (the xdist controller or a
    plain run), and only when the run was not stopped early on purpose (-x, a failure)."""
    if hasattr(session.config, "workerinput") or exitstatus != 0 or session.shouldstop or session.shouldfail:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not session.testscollected:
        return
    outcomes = ("passed", "failed", "skipped", "xfailed", "xpassed")
    reported = sum(1 for outcome in outcomes for report in reporter.stats.get(outcome, []) if report.when != "teardown")
    reported += sum(1 for report in reporter.stats.get("error", []) if report.when == "setup")
    if reported < session.testscollected:
        reporter.write_line(
            f"only {reported} of {session.testscollected} collected tests reported a result: tests were dropped",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
