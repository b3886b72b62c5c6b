"""docs/architecture.md's package table says, for every package of src/qingfeng, which others it
may import (its last column). This test reads every import of the package (module level and inside
functions) with `ast` and holds the two to each other: an import the table does not allow fails,
and so does a table entry that no import uses any more, so the table stays the map of the code."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "qingfeng"
DOC = ROOT / "docs" / "architecture.md"
TICKED = re.compile(r"`([^`]+)`")


def _unit(name: str) -> str | None:
    """`model_library/` or `masking.py` (as the table writes them) → the package's import name."""
    if name.endswith("/") and "/" not in name[:-1]:
        return name[:-1]
    if name.endswith(".py") and "/" not in name:
        return name[:-3]
    return None


def documented() -> dict[str, set[str]]:
    """{package: packages it may import} from the table under "## Packages"."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Packages", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not line.startswith("|") or set(cells[0]) <= {"-", " "}:
            continue
        owners = [u for u in map(_unit, TICKED.findall(cells[0])) if u]
        allowed = {u for u in map(_unit, TICKED.findall(cells[-1])) if u}
        for owner in owners:
            assert owner not in table, f"docs/architecture.md: `{owner}` has two rows"
            table[owner] = allowed
    return table


def packages() -> set[str]:
    found = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    found |= {p.stem for p in SRC.glob("*.py") if p.name != "__init__.py"}
    return found


def actual() -> dict[str, dict[str, list[str]]]:
    """{package: {package it imports: [file:line, ...]}}; imports inside a package are left out."""
    known = packages()
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts == ("__init__.py",):
            continue
        owner = rel.parts[0].removesuffix(".py")
        module = ["qingfeng", *rel.with_suffix("").parts]
        if path.name == "__init__.py":
            module = module[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module if path.name == "__init__.py" else module[:-1]
                    base = base[: len(base) - node.level + 1]
                    name = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    name = node.module or ""
                # `from qingfeng import audit` imports the package audit
                targets = (
                    [f"qingfeng.{a.name}" for a in node.names] if name == "qingfeng" else [name]
                )
            for target in targets:
                parts = target.split(".")
                if parts[0] != "qingfeng" or len(parts) < 2 or parts[1] not in known:
                    continue  # outside the package, or the root's __version__
                if parts[1] != owner:
                    edges[owner][parts[1]].append(f"{rel}:{node.lineno}")
    return edges


def test_every_package_has_a_row_and_every_row_a_package() -> None:
    table, real = documented(), packages()
    missing = real - set(table)
    assert not missing, f"packages without a row in docs/architecture.md: {missing}"
    assert not set(table) - real, f"rows for packages that do not exist: {set(table) - real}"
    for owner, allowed in table.items():
        assert not allowed - real, f"`{owner}`'s row names unknown packages: {allowed - real}"


def test_imports_are_the_ones_the_table_allows() -> None:
    table = documented()
    wrong = [
        f"{where}: {owner} imports {target} (its row allows {sorted(table.get(owner, ())) or '—'})"
        for owner, targets in actual().items()
        for target, places in targets.items()
        if target not in table.get(owner, set())
        for where in places
    ]
    assert not wrong, "imports docs/architecture.md does not allow:\n" + "\n".join(wrong)


def test_every_allowed_import_is_used() -> None:
    edges = actual()
    stale = [
        f"`{owner}` → `{target}`"
        for owner, allowed in documented().items()
        for target in sorted(allowed)
        if target not in edges.get(owner, {})
    ]
    assert not stale, "rows of docs/architecture.md that no longer hold: " + ", ".join(stale)


def test_packages_depend_one_way() -> None:
    """No chain of imports leads a package back to itself."""
    edges = {owner: set(targets) for owner, targets in actual().items()}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            raise AssertionError("import cycle: " + " → ".join([*path[path.index(node) :], node]))
        if node in done:
            return
        for target in sorted(edges.get(node, ())):
            visit(target, [*path, node])
        done.add(node)

    for owner in sorted(edges):
        visit(owner, [])


SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "union_all", "exists"}
SQL_CALLS = {"execute", "scalars", "scalar"}


def test_pages_hold_no_sql() -> None:
    """Pages (web/pages/) build no query and run none: they call the query modules
    (web/queries/) and the stations' services."""
    found = []
    for path in sorted((SRC / "web" / "pages").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                used = {a.name for a in node.names} & SQL_BUILDERS
                if used:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} imports {sorted(used)}")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_CALLS
            ):
                found.append(f"{path.relative_to(SRC)}:{node.lineno} runs .{node.func.attr}()")
    assert not found, "SQL in page modules:\n" + "\n".join(found)
