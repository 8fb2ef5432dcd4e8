"""Every public function and class of auknow's library modules has a runnable ``>>>`` example.

The examples run under ``pytest --doctest-modules auknow`` (the README's test command); this test
only checks that each public name (module level, no leading underscore, defined in the module,
not imported into it) has one, so a new function without an example fails here. The CLI modules
(``auknow/cli*.py``) are exempt; every package and top-level module is checked, a new one
included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "auknow"
#: every subpackage with modules of its own (auknow/data and the knowledge tables have none)
PACKAGES = tuple(sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()))
#: every top-level module except the command line and the package's own __init__/__main__
MODULES = tuple(sorted(p.name for p in ROOT.glob("*.py")
                       if not p.name.startswith(("cli", "__"))))


def checked_files() -> list[Path]:
    files = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).glob("*.py"))]
    return files + [ROOT / m for m in MODULES]


def public_definitions(path: Path) -> list[tuple[str, str]]:
    """``(name, docstring)`` of each public function / class defined at the module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [(node.name, ast.get_docstring(node) or "") for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and not node.name.startswith("_")]


def test_the_walk_finds_the_modules():
    files = checked_files()
    assert all(f.exists() for f in files)
    names = {n for f in files for n, _ in public_definitions(f)}
    # spot checks: one name per package, so a broken walk cannot pass by finding nothing
    assert {"compile_matrix", "au_loss", "PriorHead", "estimate_prior", "audit", "write_atomic", "read_bp4d"} <= names
    assert {"read_table", "Weight", "parse_table"} <= names  # tables
    assert {"audit", "compile", "estimate", "losses", "models", "readers", "tables"} <= set(PACKAGES)


@pytest.mark.parametrize("path", checked_files(), ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_public_names_have_examples(path):
    missing = [name for name, doc in public_definitions(path) if ">>>" not in doc]
    assert not missing, f"{path.relative_to(ROOT.parent)}: public names without a >>> example: {', '.join(missing)}"


def test_a_name_without_example_is_caught(tmp_path):
    f = tmp_path / "m.py"
    f.write_text('def good():\n    """Doc.\n\n    >>> good()\n    """\n\n\ndef bad():\n    """No example."""\n\n\n'
                 'def _private():\n    pass\n\n\nclass Bad:\n    pass\n')
    assert [n for n, d in public_definitions(f) if ">>>" not in d] == ["bad", "Bad"]
