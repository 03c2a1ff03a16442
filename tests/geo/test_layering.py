"""geo is the bottom layer: it never imports the optimizer, scheduling, scenarios or web UI."""

import ast
from pathlib import Path

import pytest

GEO = Path(__file__).resolve().parents[2] / "geo"
UPPER_LAYERS = {"optimizer", "scheduling", "scenarios", "webui"}


@pytest.mark.parametrize("module", sorted(GEO.glob("*.py")), ids=lambda p: p.name)
def test_geo_modules_import_no_upper_layer(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & UPPER_LAYERS
