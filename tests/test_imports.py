"""Tests of circuitnet's import structure: lazy top-level names and no import cycles.

The cycle check reads the source, not the running interpreter. It parses every module
under circuitnet/ with `ast` and collects the imports that run when the module is
imported: statements at module level, also inside module-level `if`/`try`/`with` blocks
and class bodies, but not inside functions, and not under `if TYPE_CHECKING:` (its
`else` branch does count). Relative imports are resolved against the importing module's
package (a package's `__init__` is its own package). The rule for the edges M -> T of the
graph, where M is the importing module:

- `import a.b.c` depends on a.b.c and on the packages a and a.b, whose `__init__` modules
  run first;
- `from X import n` depends on X.n when that is a module (`from . import x` in a package's
  `__init__` gives pkg -> pkg.x), and otherwise on X itself, because n only exists once
  X's `__init__` has run (so a submodule's `from ..pkg import y` depends on pkg's
  `__init__`, even when the submodule lives inside pkg);
- importing T also runs the `__init__` of each package above T, so M depends on those as
  well, except on the packages that contain M: they are already being imported when M
  runs, and an edge to them would be a cycle on every package that imports its own
  submodules.

Imports of modules outside circuitnet, and dynamic ones (`importlib.import_module`), are
not edges.
"""
from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

import circuitnet

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "circuitnet"
LEARNING_ADDITIONS = ("ALGORITHMS", "TrainingConfig")


def _run_fresh(code: str) -> None:
    """Run `code` in a fresh interpreter; fail with its stderr when it exits non-zero."""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr


def test_netlist_does_not_import_numba():
    _run_fresh("import sys, circuitnet.netlist\n"
               "assert 'numba' not in sys.modules, 'circuitnet.netlist imported numba'")


def test_package_does_not_import_numba_or_cvxpy():
    _run_fresh("import sys, circuitnet\n"
               "heavy = sorted({'numba', 'cvxpy'} & set(sys.modules))\n"
               "assert not heavy, f'import circuitnet imported {heavy}'")


@pytest.mark.parametrize("name", circuitnet.__all__)
def test_public_name_resolves(name: str):
    if name in LEARNING_ADDITIONS and not hasattr(importlib.import_module("circuitnet.learning"), name):
        pytest.skip(f"circuitnet.learning does not define {name} yet")
    assert getattr(circuitnet, name) is not None
    assert name in dir(circuitnet)


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        circuitnet.no_such_name  # noqa: B018 - the attribute access is the test


def test_type_checking_block_lists_the_lazy_names():
    """The `if TYPE_CHECKING:` imports of circuitnet/__init__.py are the lazy table, exactly."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    listed: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.level == 1
                listed[f"circuitnet.{statement.module}"] = tuple(sorted(a.name for a in statement.names))
    assert listed == {module: tuple(sorted(names)) for module, names in circuitnet._LAZY.items()}


def _module_names(package: Path) -> dict[str, Path]:
    """Every module of the package in directory `package`: dotted name -> source file."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    """Whether an `if` condition is `TYPE_CHECKING` or `typing.TYPE_CHECKING`."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_time_statements(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements among `body` that run at import time (see the module docstring)."""
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
        elif isinstance(statement, ast.If):
            if not _is_type_checking(statement.test):
                yield from _import_time_statements(statement.body)
            yield from _import_time_statements(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, *(h.body for h in statement.handlers), statement.orelse,
                          statement.finalbody):
                yield from _import_time_statements(block)
        elif isinstance(statement, (ast.With, ast.ClassDef)):
            yield from _import_time_statements(statement.body)


def _ancestors(module: str) -> list[str]:
    """The packages above a dotted module name, outermost first."""
    parts = module.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts))]


def _dependencies(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The circuitnet modules that importing `module` imports directly (see the docstring)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    for statement in _import_time_statements(ast.parse(path.read_text(), str(path)).body):
        if isinstance(statement, ast.Import):
            targets.update(alias.name for alias in statement.names)
            continue
        if statement.level:
            base = package.split(".")[:len(package.split(".")) - statement.level + 1]
            source = ".".join(base + ([statement.module] if statement.module else []))
        else:
            source = statement.module or ""
        for alias in statement.names:
            submodule = f"{source}.{alias.name}"
            targets.add(submodule if submodule in modules else source)
    inside = set(_ancestors(module))
    edges = set()
    for target in targets:
        if target not in modules:
            continue
        edges.add(target)
        edges.update(p for p in _ancestors(target) if p not in inside)
    edges.discard(module)
    return edges


def import_graph(package: Path) -> nx.DiGraph:
    """Directed graph of a package's import-time imports: an edge M -> T when M imports T."""
    modules = _module_names(package)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        graph.add_edges_from((module, target) for target in _dependencies(module, path, modules))
    return graph


def _cycle_report(graph: nx.DiGraph) -> str | None:
    """One import cycle and every set of mutually importing modules, or None without cycles."""
    tangles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    if not tangles:
        return None
    edges = nx.find_cycle(graph)
    cycle = " -> ".join([source for source, _ in edges] + [edges[-1][1]])
    listing = "\n".join("  " + ", ".join(t) for t in sorted(tangles))
    return f"import cycle: {cycle}\nmodules on cycles, per strongly connected set:\n{listing}"


SAMPLE_PACKAGE = {
    "__init__.py": "from . import a\nfrom .sub import thing\n",
    "a.py": "from .b import x\n\ndef later():\n    from . import c\n",
    "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import y\nx = 1\n",
    "c.py": "from .a import later\n",
    "d.py": "import pkg.sub.inner\nimport numpy\n",
    "sub/__init__.py": "from .inner import thing\nfrom . import late\n",
    "sub/inner.py": "from .. import b\nthing = b.x\n",
    "sub/late.py": "try:\n    from ..sub import thing\nexcept ImportError:\n    pass\n",
}


def test_dependency_rule_on_a_sample_package(tmp_path: Path):
    """The edge rule of the module docstring, on a small package written for the test."""
    for name, text in SAMPLE_PACKAGE.items():
        (tmp_path / "pkg" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / name).write_text(text)
    graph = import_graph(tmp_path / "pkg")
    assert set(graph.edges) == {
        ("pkg", "pkg.a"), ("pkg", "pkg.sub"),  # `from . import a`, `from .sub import thing`
        ("pkg.a", "pkg.b"),  # not pkg.c: imported inside a function
        ("pkg.c", "pkg.a"),  # not pkg.b -> pkg.a: under TYPE_CHECKING
        ("pkg.d", "pkg.sub.inner"), ("pkg.d", "pkg.sub"),  # `import pkg.sub.inner` runs pkg.sub first
        ("pkg.sub", "pkg.sub.inner"), ("pkg.sub", "pkg.sub.late"),
        ("pkg.sub.inner", "pkg.b"),  # `from .. import b` names a module; no edge to pkg itself
        ("pkg.sub.late", "pkg.sub"),  # `thing` is an attribute of pkg.sub's __init__
    }
    report = _cycle_report(graph)
    assert report is not None and "pkg.sub, pkg.sub.late" in report


def test_no_import_cycles():
    report = _cycle_report(import_graph(PACKAGE))
    if report is not None:
        print(report)
        pytest.fail(report)
