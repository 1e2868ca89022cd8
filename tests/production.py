"""An installation as an operator runs it: `manage.py` commands in their own processes with
production settings, its own database (PostgreSQL on 127.0.0.1 or an SQLite file) and its
own VAR_DIR. Used by the backup round trip and the production stack test; these never use
pytest-django's test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = os.environ.get("TEST_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")
SECRET = "test-only-production-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"


def psql(sql: str) -> list[str]:
    """Run ``sql`` on the local server; the rows it returns, one value per row."""
    return subprocess.run(
        ["psql", f"{POSTGRES_SERVER}/postgres", "-v", "ON_ERROR_STOP=1", "-tAqc", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()


class PostgresDatabases:
    """Databases of our own on the local server, dropped at the end."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def create(self, label: str) -> str:
        name = f"dangjian_ops_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        psql(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return f"{POSTGRES_SERVER}/{name}"

    def drop_all(self) -> None:
        for name in self.names:
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Installation:
    def __init__(self, root: Path, database_url: str, **extra_env: str) -> None:
        self.root = root
        self.var = root / "var"
        self.content = root / "content"
        self.database_url = database_url
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cms.settings.production",
            "DJANGO_SECRET_KEY": SECRET,
            "DATABASE_URL": database_url,
            "HTTPS": "0",  # no TLS on 127.0.0.1
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "VAR_DIR": str(self.var),
            "CONTENT_DIR": str(self.content),
            "PYTHONPATH": str(REPO),
            **extra_env,
        }
        for name in ("MEDIA_ROOT", "STATIC_ROOT", "CONTENT_GIT_DIR", "SITE_RELEASES_DIR", "DANGJIAN_PAUSE_AT"):
            if name not in extra_env:
                self.env.pop(name, None)

    @property
    def current(self) -> Path:
        return (self.var / "site" / "current").resolve()

    def manage(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, str(REPO / "manage.py"), *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def shell_json(self, code: str):
        """Run `code` (which sets `result`) in `manage.py shell` and return `result`."""
        out = self.manage("shell", "-c", code + "\nimport json; print('@@' + json.dumps(result, default=str))")
        return json.loads(out.stdout.rsplit("@@", 1)[1])

    def migrate(self) -> None:
        """`manage.py migrate` on this installation's new, empty database, which first becomes a
        copy of one this same code migrated from nothing earlier in the run (a real
        `manage.py migrate`, once per database kind and set of migrations): migrating from
        nothing costs ~30 s of CPU per throw-away installation. The command still runs here and
        finds nothing left to apply."""
        copy_migrated_template(self.database_url)
        self.manage("migrate", "--no-input", "-v0")

    def deploy(self, *, demo: bool = True) -> None:
        """The deploy order of docs/operations.md."""
        self.migrate()
        self.manage("setup_roles")
        self.manage("createcachetable")
        self.manage("collectstatic", "--no-input", "-v0")
        if demo:
            self.manage("load_demo")
        self.manage("publish_site")


def html_files(release: Path) -> dict[str, bytes]:
    """Every HTML file of a release; its sub-directories are symlinks into shared objects."""
    files = {}
    for folder, _dirs, names in os.walk(release, followlinks=True):
        for name in names:
            if name.endswith(".html"):
                path = Path(folder) / name
                files[path.relative_to(release).as_posix()] = path.read_bytes()
    return files


# A migrated database to copy -------------------------------------------------------------------


def _migrations_digest() -> str:
    """What a migrated database depends on: our migrations and the installed packages (their
    migrations). Another digest is another template."""
    import hashlib
    from importlib.metadata import distributions

    digest = hashlib.sha1()
    for path in sorted(REPO.glob("cms/*/migrations/*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    for dist in sorted(distributions(), key=lambda d: (d.metadata["Name"] or "").lower()):
        digest.update(f"{dist.metadata['Name']}={dist.version}\n".encode())
    return digest.hexdigest()[:16]


def copy_migrated_template(database_url: str) -> None:
    import fcntl
    import shutil
    import tempfile

    digest = _migrations_digest()
    root = Path(tempfile.gettempdir())
    with open(root / f"dangjian-migrated-{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process of a parallel run makes it, the others wait
        if database_url.startswith("sqlite:///"):
            template = root / f"dangjian-migrated-{digest}.sqlite3"
            if not template.exists():
                partial = template.with_suffix(".partial")
                partial.unlink(missing_ok=True)
                Installation(root / f"dangjian-migrated-{digest}", f"sqlite:///{partial}").manage(
                    "migrate", "--no-input", "-v0"
                )
                partial.rename(template)
            target = Path(database_url.removeprefix("sqlite:///"))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template, target)
        else:
            server, name = database_url.rsplit("/", 1)
            template = f"dangjian_ops_template_{digest}"
            templates = psql("SELECT datname FROM pg_database WHERE datname LIKE 'dangjian\\_ops\\_template\\_%'")
            if template not in templates:
                # Templates of earlier migrations or packages are of no more use.
                for old in templates:
                    psql(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
                psql(f'CREATE DATABASE "{template}"')
                try:
                    Installation(root / f"dangjian-migrated-{digest}-pg", f"{server}/{template}").manage(
                        "migrate", "--no-input", "-v0"
                    )
                except BaseException:
                    psql(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
                    raise
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
