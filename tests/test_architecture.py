"""The house's shape, read from its own imports: no module imports, however indirectly,
what imports it.

Every import counts, at the top of a module, under TYPE_CHECKING or inside a function: a
circle is a circle of concepts whatever the moment it is loaded.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = {"tests", "bench", "docs", ".venv", ".ci", ".git"}


def _modules() -> dict[str, Path]:
    """The project's modules by dotted name (a package by its own name), tests excluded."""
    found: dict[str, Path] = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in OUTSIDE or relative.parts[0].startswith("."):
            continue
        name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project's modules that `name` imports, by any form of import, anywhere in it."""
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            named.add(module)
            named.update(f"{module}.{alias.name}" for alias in node.names)  # a submodule
    # `from service import inputs` names the package too; a package that holds the module
    # is imported with it in any case, and is not a dependency of it.
    return {m for m in named if m in modules and m != name and not name.startswith(m + ".")}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported(name, path, modules) for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(module: str) -> Iterator[list[str]]:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                yield from visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in on_stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                yield sorted(group)

    for module in sorted(graph):
        if module not in index:
            yield from visit(module)


def test_the_graph_is_read_whole() -> None:
    graph = import_graph()
    # Enough of the house to mean something: the rooms are there, and the arrows too.
    assert {"models.engine", "workflows.timeline", "activities.recording", "service.runs.control"} <= set(
        graph
    )
    assert "models.events" in graph["models.engine"]
    assert "models.state" in graph["models.evaluation"]


def test_no_module_imports_what_imports_it() -> None:
    assert list(circles(import_graph())) == []


def test_a_circle_is_found_where_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert list(circles(graph)) == [["a", "b", "c"]]


def room_of(module: str, rooms: set[str]) -> str | None:
    """The room a module lives in: the longest package with import rules that holds it."""
    held = [r for r in rooms if module == r or module.startswith(r + ".")]
    return max(held, key=len) if held else None


def room_rules() -> dict[str, set[str]]:
    """Each room's rules, as its __init__ states them: "May import: a, b, c." (a room may
    always import itself)."""
    rules: dict[str, set[str]] = {}
    for init in ROOT.rglob("__init__.py"):
        relative = init.relative_to(ROOT)
        if relative.parts[0] in OUTSIDE or relative.parts[0].startswith("."):
            continue
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        stated = re.search(r"May import: (.*?)\.\s*$", doc, re.S | re.M)
        assert stated is not None, f"{relative} does not say what its room may import"
        room = ".".join(relative.parent.parts)
        names = stated.group(1).replace("\n", " ")
        rules[room] = set() if names.startswith("nothing") else {n.strip() for n in names.split(",")}
    return rules


def trespasses(graph: dict[str, set[str]], rules: dict[str, set[str]]) -> list[str]:
    """Every import from one room into another that the first room's rules do not allow."""
    found = []
    for module, imported in sorted(graph.items()):
        room = room_of(module, set(rules))
        if room is None:
            continue
        for target in sorted(imported):
            allowed = room_of(target, set(rules)) == room or any(
                target == name or target.startswith(name + ".") for name in rules[room]
            )
            if not allowed:
                found.append(f"{module} imports {target} ({room} may import {sorted(rules[room])})")
    return found


def test_every_room_says_what_it_may_import() -> None:
    rules = room_rules()
    assert {"models", "timelines", "activities", "workflows"} <= set(rules)
    assert {
        "service.runtime",
        "service.runs",
        "service.reading",
        "service.analysis",
        "service.classroom",
    } <= set(rules)
    assert rules["models"] == set()


def test_no_room_imports_what_its_rules_forbid() -> None:
    assert trespasses(import_graph(), room_rules()) == []


def test_a_trespass_is_found_where_there_is_one() -> None:
    graph = {
        "service.runtime.ports": {"service.classroom.app"},
        "service.classroom.app": {"service.runtime.ports"},
    }
    rules = {"service.runtime": {"models"}, "service.classroom": {"service.runtime"}}
    assert trespasses(graph, rules) == [
        "service.runtime.ports imports service.classroom.app (service.runtime may import ['models'])"
    ]


def test_no_file_of_the_house_is_over_700_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in ROOT.rglob("*.py")
        if path.relative_to(ROOT).parts[0] not in OUTSIDE
        and not path.relative_to(ROOT).parts[0].startswith(".")
        and (n := len(path.read_text().splitlines())) > 700
    }
    assert long == {}


# What talks to Temporal or to a database, by the names a module would have to use.
SERVER_OR_STORE = re.compile(r"\b(temporalio|sqlite3|psycopg|Client\.connect|WorkflowHandle|open_store)\b")


def test_the_command_line_only_translates() -> None:
    """cli/ parses, calls the service layer and renders: no Temporal, SQLite or PostgreSQL."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "cli").glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SERVER_OR_STORE.search(line)
    ]
    assert found == []
    assert SERVER_OR_STORE.search("    from temporalio.client import Client")  # the grep can see one
