"""The layering of the code is a contract: imports point one way and never go round."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dashboard", "queries", "panels", "layouts", "callbacks", "exports")


def test_the_import_contracts_hold():
    """``pyproject.toml`` declares the layers; import-linter checks every import."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout[-3000:]


def test_no_module_imports_itself_through_others():
    """No chain of imports, inside a package or across packages, comes back to its start."""
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    circles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                circles.append((importer, *back))
    assert not circles, circles[:5]


def test_every_panel_on_screen_has_one_registry_entry():
    """A panel's id is spelled by its registry entry and, once, where a page places it:
    callbacks, files and the briefing find it through the registry."""
    from panels import registry

    for panel in registry.PANELS:
        if not panel.id.startswith(("school-", "breakdown-")):
            continue  # "map", "kpis"... are also words of other things
        spelled = {path.relative_to(ROOT).as_posix(): path.read_text().count(f'"{panel.id}"')
                   for folder in ("callbacks", "exports", "layouts")
                   for path in (ROOT / folder).glob("*.py")}
        spelled = {path: count for path, count in spelled.items() if count}
        assert len(spelled) == 1 and set(spelled.values()) == {1}, (panel.id, spelled)
        assert next(iter(spelled)).startswith("layouts/"), (panel.id, spelled)
