"""Each package imports only from the layers below it: geo -> optimizer -> scheduling -> scenarios -> webui."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["geo", "optimizer", "scheduling", "scenarios", "webui"]


def imported_packages(path: Path) -> set[str]:
    """The lastmile packages a module imports, at any depth of the file (lazy imports count)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(LAYERS)
    return found


@pytest.mark.parametrize("package", LAYERS)
def test_a_package_imports_only_from_itself_and_the_layers_below(package):
    allowed = set(LAYERS[: LAYERS.index(package) + 1])
    offending = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - allowed)
        for path in sorted((ROOT / package).rglob("*.py"))
        if imported_packages(path) - allowed
    }
    assert offending == {}, f"{package} may import only {sorted(allowed)}"


def test_the_checker_sees_lazy_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from webui.cli import main\n    import scenarios.planning\n", encoding="utf-8")
    assert imported_packages(module) == {"webui", "scenarios"}
