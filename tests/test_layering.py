"""The architecture, checked: each layer imports only those below it (docstrings of each
package say the same). Imports inside functions count as well: they are how pa-trade keeps
`--help` instant, and they must obey the same rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "pa_trade"
CORE = {"flows", "numbers", "textio", "errors", "paths", "periods", "threads", "memory"}

# layer -> the layers it may import (itself always allowed)
ALLOWED = {
    "core": {"core", "reference"},
    "reference": {"core"},
    "readers": {"core", "reference"},
    "analysis": {"core", "reference"},
    "fetch": {"core", "reference", "readers"},
    "render": {"core", "reference", "analysis"},
    "cli": {"core", "reference", "readers", "analysis", "render", "fetch"},
}


def layer(module: str) -> str | None:
    """'pa_trade.readers.tidy' -> 'readers'; 'pa_trade.flows' -> 'core'."""
    parts = module.split(".")
    if parts[0] != "pa_trade" or len(parts) == 1:
        return None
    if parts[1] == "__main__":  # `python -m pa_trade`: the command line's entry point
        return "cli"
    # the package's own names (__version__) are core
    return "core" if parts[1] in CORE or parts[1].startswith("__") else parts[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every pa_trade import in a file, wherever it stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pa_trade":  # from pa_trade import flows, periods
                found += [(node.lineno, f"pa_trade.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.startswith("pa_trade.")]


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if layer(module_name(p)) is not None)


def test_every_module_belongs_to_a_known_layer():
    unknown = {module_name(p) for p in MODULES if layer(module_name(p)) not in ALLOWED}
    assert not unknown, f"modules outside every layer (add them to one): {sorted(unknown)}"


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_a_module_imports_only_the_layers_below_it(path):
    own = layer(module_name(path))
    wrong = [f"line {line}: {name}" for line, name in imports_of(path)
             if layer(name) not in ALLOWED[own] | {own, None}]
    assert not wrong, f"{module_name(path)} ({own}) may not import: {wrong}"


def test_the_check_sees_an_upward_import(tmp_path):
    """The test itself can fail: an analysis module importing a reader is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from pa_trade.readers import load\n", encoding="utf-8")
    assert [layer(name) for _, name in imports_of(bad)] == ["readers"]
    assert "readers" not in ALLOWED["analysis"]


def test_the_layouts_the_cli_offers_are_the_readers_layouts():
    from pa_trade import readers
    from pa_trade.cli.common import LAYOUT_NAMES

    assert LAYOUT_NAMES == list(readers.LAYOUTS)
