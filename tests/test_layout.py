"""The package's layout rules (issue 11): short modules, no private name used across modules.

* No module of ``auknow/`` over :data:`MAX_MODULE_LINES` lines (the aim is ~500; one concept per
  module), and no function whose body (its lines after the docstring) is over
  :data:`MAX_FUNCTION_LINES` lines (split it into named steps).
* No private name (``_x``, not a dunder) of one auknow module imported by another
  (``from .tidy import _au_columns``) or read off an imported auknow module
  (``statistics._pair_counts``, ``readers.tidy._au_columns``). A helper that two modules share is
  public, with a docstring, in the module where it belongs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "auknow"
MAX_MODULE_LINES = 550
MAX_FUNCTION_LINES = 80


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(path: Path, root: Path) -> str:
    """``auknow/readers/tidy.py -> auknow.readers.tidy``; a package's ``__init__.py`` is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str, root: Path) -> bool:
    rel = Path(*dotted.split(".")[1:]) if "." in dotted else Path()
    return (root / rel).with_suffix(".py").is_file() or (root / rel / "__init__.py").is_file()


def _imported_from(node: ast.ImportFrom, here: str, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` names (relative levels resolved against ``here``)."""
    if not node.level:
        return node.module or ""
    base = here.split(".") if is_package else here.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def private_uses(source: str, here: str, root: Path, is_package: bool = False) -> list[tuple[int, str]]:
    """``(line, "module.name")`` for every private name of another ``root`` module that ``source``
    (the module ``here``) imports or reads as an attribute of an imported module."""
    tree = ast.parse(source)
    top = root.name
    modules: dict[str, str] = {}  # local name -> auknow module it is bound to
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = _imported_from(node, here, is_package)
            if target.split(".")[0] != top:
                continue
            for alias in node.names:
                if _is_module(f"{target}.{alias.name}", root):
                    modules[alias.asname or alias.name] = f"{target}.{alias.name}"
                if _private(alias.name):
                    found.append((node.lineno, f"{target}.{alias.name}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == top:
                    modules[alias.asname or top] = alias.name if alias.asname else top
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain, base = [node.attr], node.value
        while isinstance(base, ast.Attribute):
            chain.insert(0, base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in modules:
            continue
        dotted = modules[base.id]
        for part in chain:  # walk down submodules; the first private name off a module is a use
            if _private(part):
                found.append((node.lineno, f"{dotted}.{part}"))
                break
            if not _is_module(f"{dotted}.{part}", root):
                break
            dotted = f"{dotted}.{part}"
    return sorted(set(found))


def _package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_over_the_line_limit():
    long = {str(p.relative_to(PACKAGE)): n for p in _package_files()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by concept): {long}"


def body_lengths(source: str) -> dict[str, int]:
    """``{qualified name: lines of its body after the docstring}`` of every function in ``source``."""
    lengths: dict[str, int] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    body = child.body
                    has_doc = (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                               and isinstance(body[0].value.value, str))
                    first = body[1] if has_doc and len(body) > 1 else body[0]
                    lengths[name] = child.end_lineno - first.lineno + 1
                walk(child, f"{name}.")

    walk(ast.parse(source), "")
    return lengths


def test_no_function_over_the_line_limit():
    long = {f"{p.relative_to(PACKAGE).as_posix()}:{name}": n for p in _package_files()
            for name, n in body_lengths(p.read_text(encoding="utf-8")).items() if n > MAX_FUNCTION_LINES}
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines after the docstring (split them into steps): {long}"


def test_body_lengths_skip_the_docstring_and_nest():
    src = 'def f():\n    """Doc\n    more."""\n    a = 1\n    return a\n\n\nclass C:\n    def m(self):\n        pass\n'
    assert body_lengths(src) == {"f": 2, "C.m": 1}


def test_no_private_name_used_across_modules():
    found = []
    for path in _package_files():
        rel = path.relative_to(PACKAGE).as_posix()
        here = _module_name(path, PACKAGE)
        for line, name in private_uses(path.read_text(encoding="utf-8"), here, PACKAGE, path.name == "__init__.py"):
            found.append(f"auknow/{rel}:{line}: {name}")
    assert not found, "private names used across modules (make the helper public where it belongs):\n" + "\n".join(found)


# --- the checker itself ------------------------------------------------------------------------
def test_checker_finds_private_imports_and_attributes():
    src = "\n".join([
        "from .tidy import _au_columns, read_tidy_csv",  # 1: private name, relative
        "from auknow.readers.columns import _x",  # 2: absolute
        "from . import tidy as t",  # 3
        "from .. import readers",  # 4
        "import auknow.facs as facs",  # 5
        "y = t._hidden(1)",  # 6
        "z = readers.tidy._au_columns",  # 7: through a submodule chain
        "w = facs._read_data_csv",  # 8
        "from ._common import visible",  # 9: a public name of a private module is fine
        "from .. import __version__",  # 10: dunders are fine
        "v = self._cache, t.read_tidy_csv, torch._dynamo",  # 11: not module privates / not auknow
        "from .frames import AUFrames; q = AUFrames._hidden",  # 12: a class attribute is not a module's
    ])
    found = private_uses(src, "auknow.readers.disfa", PACKAGE)
    assert found == [(1, "auknow.readers.tidy._au_columns"), (2, "auknow.readers.columns._x"),
                     (6, "auknow.readers.tidy._hidden"), (7, "auknow.readers.tidy._au_columns"),
                     (8, "auknow.facs._read_data_csv")]


@pytest.mark.parametrize("here, is_package, level, module, expected", [
    ("auknow.readers.tidy", False, 1, "columns", "auknow.readers.columns"),
    ("auknow.readers.tidy", False, 2, "facs", "auknow.facs"),
    ("auknow.readers", True, 1, "tidy", "auknow.readers.tidy"),
    ("auknow.readers", True, 2, None, "auknow"),
])
def test_relative_imports_resolve(here, is_package, level, module, expected):
    node = ast.ImportFrom(module=module, names=[ast.alias(name="x")], level=level)
    assert _imported_from(node, here, is_package) == expected
