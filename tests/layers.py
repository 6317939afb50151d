"""The import checker behind tests/unit/test_layers.py: which module imports which, by reading
the source (every import statement, those under ``if TYPE_CHECKING:`` and inside functions
included, and ``importlib.import_module("...")`` of a literal name), and what breaks a
layering: an import that points up a layer, an import a layer may not make, a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    """One import: the module that makes it, where, what it imports and how it is written."""

    source: str
    path: Path
    line: int
    target: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def module_name(root: Path, path: Path) -> str:
    """The dotted name of a file under `root` (the folder holding the top package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: Path) -> dict[str, Path]:
    """Every module of a package folder, by dotted name."""
    root = package.parent
    return {module_name(root, path): path for path in sorted(package.rglob("*.py"))}


def _resolve(source: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = source.split(".") if is_package else source.split(".")[:-1]
    base = base[:len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, *([name] if name else [])])


def imports(name: str, path: Path, known: Mapping[str, Path]) -> Iterator[Import]:
    """The imports `name` makes, each resolved to the module it loads (``from pkg import
    mod`` loads ``pkg.mod`` when that is a module; otherwise ``pkg``)."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(text, filename=str(path))):
        shown = lines[node.lineno - 1].strip() if hasattr(node, "lineno") else ""
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, path, node.lineno, alias.name, shown)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node.level, node.module)
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                yield Import(name, path, node.lineno,
                             candidate if candidate in known else base, shown)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
              and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
              == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            target = node.args[0].value
            if target.startswith("."):
                package = node.args[1] if len(node.args) > 1 else None
                anchor = package.value if isinstance(package, ast.Constant) else name
                level = len(target) - len(target.lstrip("."))
                target = _resolve(str(anchor), True, level, target.lstrip(".") or None)
            yield Import(name, path, node.lineno, target, shown)


@dataclass(frozen=True)
class Layer:
    """A layer: the modules it holds (by dotted prefix), and the third-party top-level
    packages it may not import."""

    name: str
    prefixes: tuple[str, ...]
    forbidden: tuple[str, ...] = ()
    only: tuple[str, ...] | None = None  # when set: the only modules of the package it uses


def layer_of(module: str, layers: Sequence[Layer]) -> int | None:
    """The index of the layer holding `module` (the longest matching prefix wins)."""
    best: tuple[int, int] | None = None
    for index, layer in enumerate(layers):
        for prefix in layer.prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return None if best is None else best[0]


def problems(package: Path, layers: Sequence[Layer]) -> list[str]:
    """Every import that breaks the layering, and every circle, one line each naming the
    file, the line and the import as written."""
    known = modules(package)
    top = package.name
    found: list[str] = []
    graph: dict[str, set[str]] = {name: set() for name in known}
    where: dict[tuple[str, str], Import] = {}
    for name, path in known.items():
        mine = layer_of(name, layers)
        if mine is None:
            found.append(f"{path}: module {name} is in no layer")
            continue
        for imp in imports(name, path, known):
            root = imp.target.split(".")[0]
            if root != top:
                if root in layers[mine].forbidden:
                    found.append(f"{imp}  <- layer '{layers[mine].name}' may not import {root}")
                continue
            target = imp.target
            while target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target == name or target not in known:
                continue
            graph[name].add(target)
            where.setdefault((name, target), imp)
            theirs = layer_of(target, layers)
            if theirs is not None and theirs > mine:
                found.append(f"{imp}  <- '{layers[mine].name}' imports up into "
                             f"'{layers[theirs].name}' ({target})")
            only = layers[mine].only
            same = layer_of(target, layers) == mine
            if only is not None and not same and target not in only:
                found.append(f"{imp}  <- layer '{layers[mine].name}' may import only "
                             f"{', '.join(only)} of {top}")
    for circle in circles(graph):
        steps = [where[(a, b)] for a, b in zip(circle, [*circle[1:], circle[0]], strict=True)]
        found.append("circle: " + " -> ".join([*circle, circle[0]]) + "\n    "
                     + "\n    ".join(str(step) for step in steps))
    return found


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle(component, graph) for component in components]


def _cycle(component: list[str], graph: Mapping[str, set[str]]) -> list[str]:
    """A cycle inside a strongly connected component, from its first module back to it."""
    members = set(component)
    start = min(component)
    path, seen = [start], {start}
    while True:
        nxt = min(n for n in graph[path[-1]] if n in members)
        if nxt == start or nxt in seen:
            return path[path.index(nxt):] if nxt in seen and nxt != start else path
        path.append(nxt)
        seen.add(nxt)
