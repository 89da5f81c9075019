"""Reads the package's imports with ast and lists each one that breaks the layering
(docs/architecture.md states the rules; testing/layering_test.py holds them)."""

import ast
import re
from pathlib import Path

# Each room may import from its own room and from rooms of a lower layer, never upwards or
# sideways. Tests (`*_test.py`, conftest.py, testing/) may import anything.
LAYERS = {
    "domain": 0,
    "settings": 0,
    "logs": 0,
    "validation": 0,
    "services": 1,
    "repositories": 1,
    "cache": 1,
    "db": 2,
    "auth": 3,
    "feed": 4,
    "metrics": 5,
    "runtime": 6,
    "api": 7,
    "main": 8,
    "cli": 9,
    "bench": 10,  # it starts the service through cli/serve.py
}
# Lower, but still out of reach: the API calls use cases, never a repository.
FORBIDDEN = {("api", "repositories")}
# Where a third-party package may be imported at all.
CONFINED = {
    "psycopg2": {"db", "repositories", "feed", "cli", "bench"},
    "fastapi": {"api", "main"},
    "starlette": {"api", "main"},
    "uvicorn": {"api", "cli"},
    "pydantic": {"api", "settings", "cli"},
    "pydantic_extra_types": {"api"},
    "pydantic_settings": {"settings"},
    "httpx": {"bench"},
    "ulid": {"domain"},
    "jsonschema_rs": {"validation"},
    "prometheus_client": {"metrics"},
}
EXEMPT = {"testing", "conftest"}
# Who may touch a request's or the app's state: the accessors, the composition root that sets
# the runtime, and the two ASGI middlewares that write the request's id and principal.
STATE_ALLOWED = {
    "config_service.api.dependencies",
    "config_service.main",
    "config_service.api.observability",
    "config_service.api.authentication",
}
# A module named in a string: uvicorn's "package.module:app", `python -m package.module`.
NAMED_MODULE = re.compile(r"^([a-z_]+(?:\.[a-z_]+)+)(?::[A-Za-z_]+)?$")


def modules(package: Path) -> dict[str, Path]:
    """Every module of the package but the tests, by dotted name."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        if path.name.endswith("_test.py") or path.name == "conftest.py" or (len(parts) > 1 and parts[1] in EXEMPT):
            continue
        found[".".join(parts)] = path
    return found


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules `module` imports: the package's by dotted name (a module where one is named),
    and the top-level name of any other."""
    found = set()
    is_package = path.name == "__init__.py"
    package = module.split(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            named = NAMED_MODULE.match(node.value)
            if named and named.group(1) in known:
                found.add(named.group(1))
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name if name.split(".")[0] == package else name.split(".")[0] for name in found} - {module}


def touches_state(path: Path) -> bool:
    """Whether the module reads or writes `.state` (app.state, request.state) or scope["state"]."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "state":
            return True
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "state":
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "state"
        ):
            return True
    return False


def violations(package: Path) -> list[str]:
    """One line for each import that breaks a rule, and for each circle of imports."""
    found = modules(package)
    known = set(found)
    graph: dict[str, set[str]] = {}
    problems = []
    for module, path in found.items():
        room = room_of(module)
        if room and room not in LAYERS:
            problems.append(f"{module} is in no layer: add its room to LAYERS and docs/architecture.md")
            continue
        if touches_state(path) and module not in STATE_ALLOWED:
            problems.append(f"{module} touches app or request state: ask api/dependencies.py")
        # Importing a module runs its packages' __init__ first: those are edges too.
        graph[module] = {parent for parent in _parents(module) if parent in known}
        for target in sorted(imports_of(module, path, known)):
            if target.split(".")[0] != module.split(".")[0]:
                allowed = CONFINED.get(target)
                if allowed is not None and room not in allowed:
                    problems.append(f"{module} imports {target}: only {', '.join(sorted(allowed))} may")
                continue
            graph[module].add(target)
            graph[module] |= {parent for parent in _parents(target) if parent in known and parent != module}
            other = room_of(target)
            if other == "":
                problems.append(f"{module} imports {target}: import the module it needs, not the package")
            elif not room:
                problems.append(f"{module} imports {target}: the package's __init__ imports nothing of it")
            elif other == room:
                continue
            elif (room, other) in FORBIDDEN or LAYERS.get(other, 99) >= LAYERS[room]:
                problems.append(f"{module} imports {target}: {room} may not import {other}")
    problems += [f"a circle of imports: {' -> '.join([*circle, circle[0]])}" for circle in circles(graph)]
    return problems


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each from its first name."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups
