"""Library messages name keyword arguments, not command-line flags (issue 11, front door).

A notebook user calls ``auknow.estimate_prior(..., independent_clips=True)``; telling them to pass
``--independent-clips`` is wrong for them. The CLI turns keywords back into flags
(:func:`auknow.cli_checks.flagify`) when it prints a message. The CLI's own modules (argument
parsing and the runners that map flags to arguments, ``auknow/cli*.py``) are exempt.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from auknow.cli_checks import flagify
from auknow.errors import DataError
from auknow.library import fold_subjects

PACKAGE = Path(__file__).resolve().parents[1] / "auknow"
#: modules that are the command line itself (they read argparse Namespaces)
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


def _docstring_ids(tree: ast.AST) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def flag_strings(source: str) -> list[tuple[int, str]]:
    """``(line, flag)`` of every CLI flag in a non-docstring string constant of ``source``."""
    tree = ast.parse(source)
    docs = _docstring_ids(tree)
    return [(node.lineno, flag) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
            for flag in FLAG.findall(node.value)]


def test_library_messages_name_keywords_not_flags():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("cli"):
            continue
        if hits := flag_strings(path.read_text(encoding="utf-8")):
            found[rel] = hits
    assert not found, f"library strings naming CLI flags (name the keyword; the CLI flagifies): {found}"


def test_the_scan_sees_messages_and_skips_docstrings():
    src = 'def f():\n    """Use --force."""\n    raise ValueError("exists (use --force)")\n'
    assert flag_strings(src) == [(3, "--force")]


def test_library_error_names_the_keyword_cli_names_the_flag():
    with pytest.raises(DataError) as info:
        fold_subjects("ckplus", [1])
    text = str(info.value)
    assert "exclude_subjects=" in text and "--" not in text
    cli = flagify(text)
    assert cli.startswith("--fold 1: ") and "--exclude-subjects" in cli


@pytest.mark.parametrize("library, cli", [
    ("say so with independent_clips=True", "say so with --independent-clips"),
    ("name_pattern='(?P<subject>[^_]+)_x' has no", "--name-pattern '(?P<subject>[^_]+)_x' has no"),
    ("n_boot=5000 / n_perm=2000 on 3 subjects", "--n-boot 5000 / --n-perm 2000 on 3 subjects"),
    ("use unit='sequence' or independent_clips=True", "use --unit sequence or --independent-clips"),
    ("estimate it with statistic='p_au_given_expression'", "estimate it with --statistic p_au_given_expression"),
    ("self.unit=3 stays", "self.unit=3 stays"),  # an attribute, not a keyword
])
def test_flagify_maps_keywords_to_flags(library, cli):
    assert flagify(library) == cli
