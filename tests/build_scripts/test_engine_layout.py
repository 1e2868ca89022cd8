"""The engine's shape: only the renderer adapter knows MkDocs, so moving to material's
successor touches site/hooks/mkdocs_adapter.py alone (docs/architecture.md)."""

import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = ROOT / "site" / "hooks" / "mkdocs_adapter.py"
RENDERER_PACKAGES = {"mkdocs", "material", "mkdocs_material"}


def imported_packages(path: Path) -> set[str]:
    """Top-level packages a module imports anywhere (module level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def python_files() -> list[Path]:
    roots = [ROOT / "build_scripts", ROOT / "site", ROOT / "cms", ROOT / "bench"]
    return sorted(p for root in roots for p in root.rglob("*.py") if "migrations" not in p.parts)


def test_only_the_adapter_imports_mkdocs():
    files = python_files()
    assert ADAPTER in files and len(files) > 50  # the scan sees the code it guards
    assert imported_packages(ADAPTER) & RENDERER_PACKAGES  # (the scan does find imports)
    offenders = {
        str(p.relative_to(ROOT)): sorted(imported_packages(p) & RENDERER_PACKAGES)
        for p in files
        if p != ADAPTER and imported_packages(p) & RENDERER_PACKAGES
    }
    assert offenders == {}


def test_mkdocs_loads_the_adapter_and_nothing_else():
    text = (ROOT / "site" / "mkdocs.yml").read_text(encoding="utf-8")
    # (mkdocs.yml holds !!python tags that a safe loader refuses: read the hooks block alone)
    hooks = yaml.safe_load(re.search(r"^hooks:\n(?:  - .*\n)+", text, re.M).group(0))
    assert hooks == {"hooks": ["hooks/mkdocs_adapter.py"]}
    assert sorted(p.name for p in (ROOT / "site" / "hooks").glob("*.py")) == ["mkdocs_adapter.py"]


def test_the_adapter_gets_its_inputs_from_the_typed_request_only():
    """No side channel of underscore keys in MkDocs' config.extra between engine and hook
    (build_scripts.render_request is the one join)."""
    old_keys = {
        "_progress",
        "_theme_signature",
        "_content_dir",
        "_catalogue",
        "_previous_outputs",
        "_previous_sources",
        "_changed_paths",
        "_build_state",
    }
    for path in [ADAPTER, *(ROOT / "build_scripts").glob("*.py")]:
        strings = {
            node.value
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        assert not strings & old_keys, path
