"""Canonical expression vocabulary with aliases (``happy = happiness = joy``).

The vocabulary lives in ``data/expressions.yaml`` (canonical name -> aliases). Canonical names
are lower-case snake_case (``happiness``, ``happily_surprised``); matching lower-cases the text
and turns spaces, dots and hyphens into underscores first. A table may declare extra expressions
of its own (``extra_expressions``), so the vocabulary is closed against typos yet extensible.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from importlib import resources
from typing import Iterable

import yaml

from .errors import AuknowError


class ExpressionError(AuknowError, ValueError):
    """An expression name is not in the vocabulary (message suggests the closest names).

    >>> try:
    ...     canonical_expression("hapy")
    ... except ExpressionError as err:
    ...     print(err)
    unknown expression 'hapy'; did you mean happy, hap?
    """


def normalize(text: str) -> str:
    """Lower-case, trimmed, spaces / dots / hyphens to underscores: ``"Happily Surprised" ->
    "happily_surprised"``.

    >>> normalize("  Happily Surprised ")
    'happily_surprised'
    """
    return re.sub(r"[\s.\-]+", "_", str(text).strip().lower()).strip("_")


@lru_cache(maxsize=None)
def vocabulary() -> dict[str, tuple[str, ...]]:
    """Canonical expression name -> its aliases (normalized), from ``data/expressions.yaml``.

    >>> vocabulary()["happiness"][:3]
    ('happy', 'joy', 'joyful')
    """
    raw = yaml.safe_load(resources.files("auknow").joinpath("data").joinpath("expressions.yaml").read_text("utf-8"))
    return {name: tuple(normalize(a) for a in (aliases or [])) for name, aliases in raw.items()}


@lru_cache(maxsize=None)
def _alias_map() -> dict[str, str]:
    out = {}
    for name, aliases in vocabulary().items():
        out[name] = name
        for alias in aliases:
            out[alias] = name
    return out


def canonical_expression(text: str, extra: Iterable[str] = ()) -> str:
    """Canonical name of an expression written any known way: ``"happy" -> "happiness"``.

    Args:
        text: the name as written.
        extra: additional canonical names accepted as they are (a table's ``extra_expressions``).

    Raises:
        ExpressionError: unknown name; the message names it and suggests close matches.

    >>> canonical_expression("Happy"), canonical_expression("pain", extra=["pain"])
    ('happiness', 'pain')
    """
    key = normalize(text)
    extra_set = {normalize(e) for e in extra}
    if key in extra_set:
        return key
    found = _alias_map().get(key)
    if found is None:
        choices = sorted(set(_alias_map()) | extra_set)
        close = difflib.get_close_matches(key, choices, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else \
            " (declare new names under extra_expressions)"
        raise ExpressionError(f"unknown expression '{text}'{hint}")
    return found
