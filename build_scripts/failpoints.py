"""Named pause points on the publishing path, for crash tests.

``pause_point("publish.after_export")`` does nothing unless the environment variable
``DANGJIAN_PAUSE_AT`` equals that name; then it creates the file
``$DANGJIAN_PAUSE_DIR/<name>`` and sleeps until the process is killed. A test starts a
real worker process with the variable set, waits for the file and kills the process with
SIGKILL, which stops it at exactly that point (tests/publishing/test_recovery.py).

The points (docs/architecture.md, "The publishing path"):

* ``publish.after_export``: a change's files are written to content/, not committed;
* ``publish.after_commit``: its commit is in content/'s history (``update-ref`` done),
  the ContentChange row does not say so yet;
* ``build.helper_converted_one``: in a full build's forked helper
  (site/hooks/mkdocs_adapter.py), after the first page it converted and sent back;
* ``build.after_render``: MkDocs has rendered the new release's pages, the release is
  not assembled;
* ``build.before_switch``: the release is complete (``release.json`` written),
  ``current`` still points at the previous one;
* ``build.after_switch``: ``current`` points at the new release, the database does not
  know yet (SiteBuild still running, changes not marked released).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV_NAME = "DANGJIAN_PAUSE_AT"
ENV_DIR = "DANGJIAN_PAUSE_DIR"


def pause_point(name: str) -> None:
    if os.environ.get(ENV_NAME) != name:
        return
    directory = Path(os.environ.get(ENV_DIR) or ".")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(str(os.getpid()), encoding="utf-8")
    while True:  # until SIGKILL
        time.sleep(60)
