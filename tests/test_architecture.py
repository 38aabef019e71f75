"""The shape of the package: imports point one way, modules stay small, the command line is a
light leaf, the public API stays, errors come from one tree, SQL lives in the stores."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import REPO

import facegraph
from facegraph.cli import main

PACKAGE = REPO / "facegraph"

#: top to bottom: a module may import its own stage and any stage below it, never one above
LAYERS = [
    ("facegraph.cli",),
    ("facegraph.web",),
    ("facegraph.pipeline", "facegraph.legacy"),
    # the proof behind a tie: find's confidence on what the network shows
    ("facegraph.evidence",),
    ("facegraph.find",),
    ("facegraph.coappearance",),
    ("facegraph.people",),
    ("facegraph.ingestion",),
    # face regions in XMP files: files in, records out
    ("facegraph.xmp",),
    ("facegraph.faces",),
    # the library's two databases: DuckDB (the truth) and the graph projection every change
    # keeps in step, so the stages that change the library can sync it
    ("facegraph.graph",),
    ("facegraph.artefacts", "facegraph.library"),
    ("facegraph.errors", "facegraph.safe_text"),
]
#: faces are arrays in, arrays out: no library, no database, no graph
FACES_MAY_IMPORT = ("facegraph.faces", "facegraph.errors", "facegraph.safe_text")
HEAVY = ("dlib", "onnxruntime", "networkx", "kuzu", "ladybug")
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, top_level_only: bool = False) -> set[str]:
    """The facegraph modules `name` imports (at any depth, or at module level only)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            found.add(origin)
            found |= {f"{origin}.{alias.name}" for alias in node.names}
    known = modules()
    return {m for m in found if m in known and m not in (name, "facegraph")}


def layer_of(module: str) -> int:
    for number, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return number
    raise AssertionError(f"{module} belongs to no layer; add it to LAYERS")


def test_imports_point_one_way():
    wrong = []
    for name, path in modules().items():
        if name in ("facegraph", "facegraph.__main__"):
            continue  # the lazy public API and `python -m facegraph` name modules, not layers
        for imported in imports_of(name, path):
            if layer_of(imported) < layer_of(name):
                wrong.append(f"{name} imports {imported}, a stage above it")
            if name.startswith("facegraph.faces") and not imported.startswith(FACES_MAY_IMPORT):
                wrong.append(f"{name} imports {imported}: faces take arrays, not the library")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_modules():
    graph = {name: imports_of(name, path, top_level_only=True) for name, path in modules().items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            # importing a submodule imports its package first: not a cycle of ours
            if node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, nxt]))
            if not state.get(nxt):
                visit(nxt, [*trail, node])
        state[node] = 2

    for name in graph:
        if not state.get(name):
            visit(name, [])


def test_no_module_is_longer_than_a_careful_read():
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert not long, long


def test_every_exception_is_a_facegraph_error_from_one_module():
    import facegraph.errors as errors

    for name, path in modules().items():
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id.endswith(("Error", "Exception", "Unavailable"))
                for b in node.bases
            ):
                assert name == "facegraph.errors", f"{name} defines exception {node.name}"
    for value in vars(errors).values():
        if inspect.isclass(value) and issubclass(value, Exception):
            assert issubclass(value, errors.FacegraphError), value


_SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|COPY|ATTACH|CHECKPOINT|BEGIN|ALTER|DROP|MATCH|"
    r"MERGE|UNWIND)\b"
)
#: where SQL and Cypher may be written: the stores, the library, the graph projection
SPEAKS_SQL = (
    "facegraph.library",
    "facegraph.graph",
    "facegraph.ingestion.store",
    "facegraph.people.store",
    "facegraph.people.edit_store",
    "facegraph.people.read_store",
    "facegraph.people.region_store",
    "facegraph.find.store",
    "facegraph.evidence.store",
    "facegraph.coappearance.record_store",
)


def test_sql_and_cypher_live_in_the_stores_and_the_graph_module():
    found = []
    for name, path in modules().items():
        if name.startswith(SPEAKS_SQL):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and _SQL.match(text):
                found.append(f"{name}:{node.lineno}: {node.value[:60]!r}")
    assert not found, "\n".join(found)


def _imported_by(args: list[str], library: Path) -> set[str]:
    """Top-level modules a fresh `facegraph ARGS` imports, read from ``python -X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "facegraph", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FACEGRAPH_LIBRARY": str(library)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize(
    "args",
    [["--help"], ["stats"], ["sql", "SELECT count(*) FROM faces"], ["people", "list"]],
    ids=["help", "stats", "sql", "people-list"],
)
def test_light_commands_load_no_heavy_library(args, tmp_path):
    from facegraph.library import Library

    Library.open(tmp_path / "lib", write=True).close()
    loaded = _imported_by(args, tmp_path / "lib")
    assert "facegraph" in loaded  # the measurement works
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    if args == ["--help"]:
        assert not loaded & {"duckdb", "numpy", "pyarrow", "PIL"}


def test_shipped_queries_are_found_even_beside_another_queries_package(tmp_path):
    """facegraph installed into a folder that also holds someone else's top-level `queries`
    package (one exists on PyPI) still runs its own queries."""
    site = tmp_path / "site-packages"
    shutil.copytree(PACKAGE, site / "facegraph", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "queries", site / "facegraph" / "queries")  # as a wheel carries it
    fake = site / "queries"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "co_appearance.cypher").write_text("// not facegraph's\nRETURN 1 AS fake\n")
    script = (
        "import json, facegraph.coappearance.queries as q;"
        "print(json.dumps([q.builtin_query('co_appearance').path,"
        " sorted(x.name for x in q.list_queries('/nowhere'))]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
    )
    assert done.returncode == 0, done.stderr
    path, names = json.loads(done.stdout)
    assert Path(path).parent == site / "facegraph" / "queries"
    assert {"co_appearance", "ego_network", "strongest_ties"} <= set(names)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_has_an_example_and_every_leaf_has_json():
    assert "Example:" in (main.help or "")
    for path, command in _commands(main):
        assert "Example:" in (command.help or ""), f"facegraph {' '.join(path)} has no example"
        if not isinstance(command, click.Group):
            flags = {opt for p in command.params for opt in getattr(p, "opts", [])}
            assert "--json" in flags, f"facegraph {' '.join(path)} has no --json"


def test_public_api_is_kept_and_resolves():
    before = {  # facegraph.__all__ before the package was split into stages
        "DetectionSettings", "FacegraphError", "IngestReport", "Library", "LibraryInUseError",
        "LibraryNotFoundError", "NetworkFilter", "analyse_photo", "analyse_photos", "cluster",
        "coappearance_network", "export_crops", "export_network", "extract", "ingest",
        "list_queries", "network", "network_stats", "run", "run_cypher", "run_query", "run_sql",
        "stats", "sync",
    }  # fmt: skip
    people = {
        "cluster_people", "name_person", "hide_person", "merge_people", "move_faces",
        "reject_faces", "mark_not_a_face", "undo", "forget_person", "list_people",
        "show_person", "edit_history",
    }  # fmt: skip
    assert before | people <= set(facegraph.__all__)
    for name in facegraph.__all__:
        assert getattr(facegraph, name) is not None, name
    # the old tool's functions keep their names and signatures
    assert list(inspect.signature(facegraph.cluster).parameters)[:2] == ["source_dir", "algorithm"]
    assert callable(facegraph.network) and callable(facegraph.ingest)


def test_defaults_are_written_once_and_python_clusters_as_the_cli_does():
    from facegraph.cli.options import _defaults
    from facegraph.ingestion.settings import DetectionSettings
    from facegraph.people.params import ClusterParams

    for path, command in _commands(main):
        for param in command.params:
            if param.name in _defaults(DetectionSettings) and isinstance(param, click.Option):
                assert param.default == _defaults(DetectionSettings)[param.name], (path, param)
    params = ClusterParams(threshold=0.42)
    assert params.max_distance == 0.42  # the old tool's iterative DBSCAN stops at the threshold
    assert dataclasses.replace(params, max_distance=0.6).max_distance == 0.6


def test_every_subpackage_ships_in_the_wheel():
    import tomllib

    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    for init in PACKAGE.rglob("__init__.py"):
        name = ".".join(init.parent.relative_to(REPO).parts)
        assert name in listed, f"{name} is missing from pyproject's packages"
