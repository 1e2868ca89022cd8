"""No import cycles between the project's own parts.

The graph is read from the source with ``ast`` (nothing is imported), and every import counts:
at module level, inside functions, under ``TYPE_CHECKING``. A lazy import inside a function
hides a cycle from Python but not from the reader who has to hold both modules in mind.

Granularity (a node of the graph):

* ``cms.<app>`` for the Django apps: an app may use its own modules freely, but two apps never
  depend on each other (``cms.accounts`` ↔ ``cms.study``);
* one node per module inside ``cms.publishing`` and ``build_scripts``, whose modules must have
  one direction among themselves (services ← tasks ← rollback, never back).

Migrations and tests are left out (a migration names the app's history, not its design).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cms", "build_scripts")
#: Packages whose modules are nodes of their own (everything else in cms/ is one node per app).
MODULE_LEVEL = ("cms.publishing", "build_scripts")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every first-party module by dotted name, without migrations."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.relative_to(root).parts:
                continue
            modules[_module_name(path, root)] = path
    return modules


def _imported_names(path: Path, module: str, known: set[str]) -> Iterator[str]:
    """Dotted names of the first-party modules ``module`` imports, wherever the import stands."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # A relative import: ``from . import x`` in a package's __init__ is the package itself.
                anchor = module.split(".")
                drop = node.level - 1 if is_package else node.level
                base = anchor[: len(anchor) - drop] if drop else anchor
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                # ``from pkg import submodule`` imports the submodule; ``from mod import name`` the module.
                submodule = f"{target}.{alias.name}"
                yield submodule if submodule in known else target


def node_of(module: str) -> str | None:
    """The graph node a first-party module belongs to (None: not ours)."""
    parts = module.split(".")
    if parts[0] not in PACKAGES:
        return None
    for package in MODULE_LEVEL:
        if module == package or module.startswith(package + "."):
            return module
    return ".".join(parts[:2])


def import_graph(root: Path = ROOT) -> dict[str, dict[str, set[str]]]:
    """node → imported node → the modules (``a.b -> c.d``) that make the edge, self-edges left out."""
    modules = source_modules(root)
    known = set(modules)
    graph: dict[str, dict[str, set[str]]] = {}
    for module, path in modules.items():
        source = node_of(module)
        graph.setdefault(source, {})
        for name in _imported_names(path, module, known):
            # ``import cms.a.b.c`` also runs cms.a and cms.a.b, but only the named module counts:
            # a package __init__ is the package's public face, not a dependency on each sibling.
            while name not in known and "." in name:
                name = name.rsplit(".", 1)[0]
            target = node_of(name) if name in known else None
            if target is None or target == source:
                continue
            graph[source].setdefault(target, set()).add(f"{module} -> {name}")
    return graph


def strongly_connected_components(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative); components with more than one node are cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, {}))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, {})))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def describe_cycles(graph: dict[str, dict[str, set[str]]]) -> list[str]:
    """One paragraph per cycle: its nodes and every import that joins two of them."""
    reports = []
    for component in strongly_connected_components(graph):
        if len(component) < 2:
            continue
        members = set(component)
        lines = [" ↔ ".join(component)]
        for source in component:
            for target, imports in sorted(graph[source].items()):
                if target in members:
                    lines.extend(f"    {edge}" for edge in sorted(imports))
        reports.append("\n".join(lines))
    return reports


def test_no_import_cycles():
    cycles = describe_cycles(import_graph())
    assert not cycles, "import cycles (break each by moving code or the import):\n" + "\n".join(cycles)


def test_the_checker_finds_a_cycle_and_its_imports():
    graph = {
        "cms.a": {"cms.b": {"cms.a.x -> cms.b.y"}},
        "cms.b": {"cms.a": {"cms.b.z -> cms.a"}},
        "cms.c": {"cms.a": {"cms.c -> cms.a"}},
    }
    assert describe_cycles(graph) == ["cms.a ↔ cms.b\n    cms.a.x -> cms.b.y\n    cms.b.z -> cms.a"]


def test_the_graph_sees_function_level_and_relative_imports_but_not_migrations(tmp_path):
    files = {
        "cms/__init__.py": "",
        "cms/a/__init__.py": "",
        "cms/a/x.py": "def later():\n    from cms.b import y\n",
        "cms/a/migrations/0001_initial.py": "import cms.c.z\n",
        "cms/b/__init__.py": "",
        "cms/b/y.py": "from ..a import x\n",
        "cms/c/__init__.py": "",
        "cms/c/z.py": "from cms.a import x\n",
        "build_scripts/__init__.py": "",
        "build_scripts/one.py": "from . import two\n",
        "build_scripts/two.py": "import build_scripts.one\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert describe_cycles(import_graph(tmp_path)) == [
        "build_scripts.one ↔ build_scripts.two\n    build_scripts.one -> build_scripts.two\n"
        "    build_scripts.two -> build_scripts.one",
        "cms.a ↔ cms.b\n    cms.a.x -> cms.b.y\n    cms.b.y -> cms.a.x",
    ]


if __name__ == "__main__":  # the pre-commit hook: no Django, no pytest start-up
    import sys

    found = describe_cycles(import_graph())
    print("\n".join(found) if found else "no import cycles")
    sys.exit(1 if found else 0)
