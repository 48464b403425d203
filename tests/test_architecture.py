"""The house's one-way order (docs/architecture.md), read from the code's imports.

Every import counts: at the top of a module, inside a function, under TYPE_CHECKING. A
service imports only services below it, tables (`models`) of any service, the policy
module, and infra; infra imports no service. What a lower service must cause in a higher
one goes through a domain event (shutter/infra/domain.py) or a job.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest

from shutter.infra import domain

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "shutter"

# Lowest first. Written down, with the reasons, in docs/architecture.md.
ORDER = (
    "infra",
    "auth",
    "media",
    "emojis",
    "accounts",
    "graph",
    "filters",
    "posts",
    "feed",
    "lists",
    "conversations",
    "notifications",
    "search",
    "instance",
    "archive",
    "moderation",
)
# Above every service: what assembles a process from them.
TOP = {"app", "assembly", "cli", "__main__", "models", "web", "migrations"}
POLICIES = "policies"


@dataclasses.dataclass(frozen=True)
class Import:
    source: str  # module that imports, e.g. shutter.posts.service
    target: str  # module imported, e.g. shutter.feed.service
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".")
        base = base if is_package else base[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    # `from shutter.feed import service` imports the module shutter.feed.service.
    return [f"{prefix}.{alias.name}" for alias in node.names]


def _imports() -> list[Import]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            for target in _targets(node, module, path.name == "__init__.py"):
                if target.startswith("shutter."):
                    found.append(Import(module, target, getattr(node, "lineno", 0)))
    return found


def _area(module: str) -> str:
    """The service (or infra, policies, a top-level module) a module belongs to."""
    parts = module.split(".")
    if len(parts) < 2:
        return ""
    # `from shutter import __version__` names no module of the package.
    exists = (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file()
    return parts[1] if exists else ""


def _is_table(module: str) -> bool:
    parts = module.split(".")
    return len(parts) >= 3 and parts[2] == "models"


def _node(module: str) -> str:
    return f"{_area(module)}.models" if _is_table(module) else _area(module)


def _allowed(imp: Import) -> bool:
    source, target = _area(imp.source), _area(imp.target)
    if source == target or source in TOP or target in ("", "__init__") or source == "":
        return True
    if target in TOP:
        return False
    if _is_table(imp.source):  # tables build on infra alone
        return target == "infra"
    if source == POLICIES:  # decides from tables: never from a service's rules
        return target == "infra" or _is_table(imp.target)
    if source == "infra":
        return False
    if target == POLICIES or _is_table(imp.target):
        return True
    return ORDER.index(target) < ORDER.index(source)


def test_every_area_of_the_package_has_a_place_in_the_order() -> None:
    areas = {_area(_module_name(p)) for p in PACKAGE.rglob("*.py")} - {""}
    placed = set(ORDER) | TOP | {POLICIES, "__init__"}
    assert areas <= placed, f"add {sorted(areas - placed)} to ORDER and docs/architecture.md"


def test_services_import_only_what_is_below_them() -> None:
    wrong = [str(imp) for imp in _imports() if not _allowed(imp)]
    assert not wrong, "imports against the order of docs/architecture.md:\n" + "\n".join(wrong)


def test_no_import_loop_spans_two_packages() -> None:
    """Tables are their own layer (every service may read them), so a service's tables
    are a node of their own here."""
    edges: dict[str, set[str]] = {}
    for imp in _imports():
        source, target = _node(imp.source), _node(imp.target)
        if source != target and source not in TOP and target not in TOP | {""}:
            edges.setdefault(source, set()).add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    loops = sorted(a for a in edges if reaches(a, a, {a}))
    assert not loops, f"packages in an import loop: {loops}"


def test_the_documented_order_is_the_one_kept() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    assert " → ".join(ORDER) in text


def _event_classes() -> list[type]:
    classes = []
    for path in sorted(PACKAGE.glob("*/events.py")):
        module = importlib.import_module(_module_name(path))
        classes += [
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if c.__module__ == module.__name__ and dataclasses.is_dataclass(c)
        ]
    return classes


@pytest.mark.parametrize("event", _event_classes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_domain_event_has_a_subscriber(event: type) -> None:
    importlib.import_module("shutter.assembly")  # what every process starts from
    assert domain.subscribers(event), f"{event.__name__} is published to no one"


def test_the_checker_sees_a_wrong_import() -> None:
    """The rules themselves: an upward import, infra importing a service, a table
    importing a service are refused; downward ones and tables are allowed."""
    assert not _allowed(Import("shutter.posts.service", "shutter.feed.service", 1))
    assert not _allowed(Import("shutter.infra.context", "shutter.auth.callers", 1))
    assert not _allowed(Import("shutter.posts.models", "shutter.accounts.service", 1))
    assert not _allowed(Import("shutter.policies", "shutter.graph.service", 1))
    assert _allowed(Import("shutter.feed.service", "shutter.posts.service", 1))
    assert _allowed(Import("shutter.accounts.service", "shutter.graph.models", 1))
    assert _allowed(Import("shutter.posts.render", "shutter.policies", 1))
