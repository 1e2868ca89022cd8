import sys
from pathlib import Path

# build_scripts is not installed into the virtualenv: make the project root importable
# when these tests run without pytest-django (which adds it via manage.py), and keep
# `content_samples` importable whether or not this folder becomes a package.
HERE = Path(__file__).resolve().parent
for path in (HERE.parents[1], HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
