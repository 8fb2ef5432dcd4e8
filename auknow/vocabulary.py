"""One label vocabulary from table to loss: label spaces, AU sets, edge kinds, and the checks
that keep knowledge aligned with a model.

Torch-free (numpy, pandas and torch are never imported here), so tables, readers, the compiler,
the losses and the models all resolve names and compare label orders with the same rules:

* :data:`LABEL_SPACES`: expression label spaces of models and datasets, in their class order
  (``dfew`` is DFEW's ``label - 1`` order that AU-DFER, Former-DFER, M3DFEL and MAE-DFER use).
* :data:`AU_SPACES`: the AU sets of datasets and detectors (``bp4d``, ``disfa``, ``openface_c``,
  ...), in the order the dataset or tool writes them (``auknow.facs.AU_SETS`` as names).
* :data:`EDGE_KINDS`: the kinds of AU-relation edge; ``edge_type`` tensors index this tuple.
* :func:`resolve_aus` / :func:`resolve_expressions`: canonical names of a label list written any
  way auknow accepts (``AU1``, ``au_1``, ``12``; ``happy``, ``Angry``), or of a named space.
* :func:`labels_of` / :func:`check_same_order`: the label order an artifact carries, and the
  check that raises :class:`~auknow.errors.LabelError`, naming both orders, when two differ.

Canonical names: AUs ``AU01`` ... ``AU46`` (two-digit FACS numbers); expressions the lower-case
names of ``auknow/data/expressions.yaml`` (``happiness``, ``anger``).

>>> resolve_aus("AU1, au_2 ,12")
('AU01', 'AU02', 'AU12')
>>> resolve_expressions("dfew")[:3]
('happiness', 'sadness', 'neutral')
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable, Sequence

from .errors import FacsCodeError, LabelError
from .expressions import ExpressionError, canonical_expression
from .facs import AU_SETS, au_number, au_set, canonical_au

__all__ = ["LABEL_SPACES", "AU_SPACES", "EDGE_KINDS", "LabelError", "resolve_aus", "resolve_expressions",
           "labels_of", "check_same_order", "au_identities", "au_sort_key"]

#: Expression label spaces of models and datasets, keyed by name, in the model's class order.
#: ``dfew``: DFEW's 7 classes as every AU-DFER / Former-DFER / M3DFEL / MAE-DFER loader indexes
#: them (``emotions = ["hap", "sad", "neu", "ang", "sur", "dis", "fea"]``, label - 1);
#: ``ferv39k``: FERV39K's string map (Happy 0, Sad 1, Neutral 2, Angry 3, Surprise 4, Disgust 5, Fear 6).
LABEL_SPACES: dict[str, tuple[str, ...]] = {
    "dfew": ("happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"),
    "ferv39k": ("happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"),
    "basic6": ("happiness", "sadness", "surprise", "fear", "anger", "disgust"),
    "basic7": ("happiness", "sadness", "surprise", "fear", "anger", "disgust", "contempt"),
}

#: AU label spaces (AU sets of datasets and detectors) as canonical names, in the order the
#: dataset or tool writes its columns (``auknow.facs.AU_SETS``).
AU_SPACES: dict[str, tuple[str, ...]] = {name: au_set(name) for name in AU_SETS}

#: Kinds of AU-relation edge; ``edge_type`` indexes this tuple everywhere (``auknow.compile.to_pyg``,
#: ``auknow.models.AURelationGNN``). ``self`` marks self loops that ``to_pyg`` adds; networkx
#: graphs never hold them.
EDGE_KINDS: tuple[str, ...] = ("co-occurrence", "exclusive", "hierarchy", "self")


def _split(spec: str | Sequence[Any]) -> list[str]:
    if isinstance(spec, str):
        return [s.strip() for s in spec.split(",") if s.strip()]
    return [str(s).strip() for s in spec]


def _no_duplicates(names: list[str], what: str, written: list[str]) -> None:
    seen: dict[str, str] = {}
    for name, text in zip(names, written):
        if name in seen:
            raise LabelError(f"{what}: '{text}' and '{seen[name]}' both name {name}; each label may appear once")
        seen[name] = text


def _space_hint(spec: str, spaces: Iterable[str]) -> str:
    close = difflib.get_close_matches(spec.strip().lower(), list(spaces), n=2, cutoff=0.6)
    return f"; did you mean the label space {' or '.join(close)}?" if close else ""


def resolve_expressions(spec: str | Sequence[str] | None, extra: Iterable[str] = ()) -> tuple[str, ...] | None:
    """Canonical expression names of a label list, in the given order.

    Args:
        spec: ``None``; a label-space name (``"dfew"``, see :data:`LABEL_SPACES`); a comma list
            (``"happy,sad,neutral"``); or a sequence of names. Aliases are resolved
            (``happy -> happiness``, ``angry -> anger``), case and spacing are free.
        extra: expression names accepted as they are (tables' ``extra_expressions``).

    Returns:
        A tuple of canonical names, or ``None`` for ``None``.

    Raises:
        LabelError: an empty list, an unknown name (with close matches) or a name given twice.

    >>> resolve_expressions(["Happy", "angry"])
    ('happiness', 'anger')
    """
    if spec is None:
        return None
    if isinstance(spec, str) and spec.strip().lower() in LABEL_SPACES:
        spec = LABEL_SPACES[spec.strip().lower()]
    written = _split(spec)
    if not written:
        raise LabelError("expressions: empty list (give names such as happy,sad,neutral or a label space: "
                         f"{', '.join(LABEL_SPACES)})")
    try:
        names = [canonical_expression(t, extra) for t in written]
    except ExpressionError as exc:
        hint = _space_hint(spec, LABEL_SPACES) if isinstance(spec, str) and len(written) == 1 else ""
        raise LabelError(f"expressions: {exc}{hint}") from None
    _no_duplicates(names, "expressions", written)
    return tuple(names)


def resolve_aus(spec: str | Sequence[str | int] | None) -> tuple[str, ...] | None:
    """Canonical AU names of an AU list, in the given order.

    Args:
        spec: ``None``; an AU-set name of :data:`AU_SPACES` (``"openface_c"``, ``"bp4d"``, ...);
            a comma list (``"AU01,AU2,12"``); or a sequence of names / FACS numbers. Detector
            column spellings (``AU12_c``, `` AU12_r``) are read as the AU.

    Returns:
        A tuple of canonical AU names (``AU01``), or ``None`` for ``None``.

    Raises:
        LabelError: an empty list, an unknown AU (not a FACS 2002 code) or an AU given twice.

    >>> resolve_aus([1, "AU2", "au_4"])
    ('AU01', 'AU02', 'AU04')
    >>> len(resolve_aus("bp4d"))
    12
    """
    if spec is None:
        return None
    if isinstance(spec, str) and spec.strip().lower() in AU_SPACES:
        return AU_SPACES[spec.strip().lower()]
    if isinstance(spec, (int, bool)):
        raise LabelError(f"aus: expected AU names, FACS numbers or an AU set ({', '.join(AU_SPACES)}), "
                         f"got the number {spec!r}")
    written = [str(s) for s in (_split(spec) if isinstance(spec, str) else spec)]
    if not written:
        raise LabelError(f"aus: empty list (give AUs such as AU01,AU12 or an AU set: {', '.join(AU_SPACES)})")
    try:
        names = [canonical_au(t.strip()) for t in written]
    except FacsCodeError as exc:
        hint = _space_hint(spec, AU_SPACES) if isinstance(spec, str) and len(written) == 1 else ""
        raise LabelError(f"aus: {exc}{hint or ' (or name an AU set: ' + ', '.join(AU_SPACES) + ')'}") from None
    _no_duplicates(names, "aus", written)
    return tuple(names)


def au_identities(aus) -> tuple[tuple[str, ...] | None, int]:
    """``(canonical AU names or None, A)`` of what a model is told its AUs are.

    Args:
        aus: a bare count (``12``: anonymous AUs, no masks and no label checks), an AU set name
            or a list of AU names / FACS numbers (:func:`resolve_aus`).

    Raises:
        LabelError: a count < 1, a bool, or what :func:`resolve_aus` raises.

    >>> au_identities(3), au_identities("disfa8")[1]
    ((None, 3), 8)
    """
    if isinstance(aus, bool):
        raise LabelError(f"aus must be a count, an AU set name or a list of AUs, got {aus!r}")
    if isinstance(aus, int):
        if aus < 1:
            raise LabelError(f"the number of AUs must be >= 1, got {aus}")
        return None, aus
    names = resolve_aus(aus)
    return names, len(names)


def au_sort_key(name: str) -> int:
    """FACS number of a canonical AU name, for sorting columns in FACS order (``AU12 -> 12``).

    >>> sorted(["AU12", "AU04", "AD19"], key=au_sort_key)
    ['AU04', 'AU12', 'AD19']
    """
    return au_number(name)


def labels_of(obj: Any, kind: str) -> tuple[str, ...] | None:
    """The label order an artifact carries, canonicalised; ``None`` when it carries none.

    Args:
        obj: a ``PriorMatrix``, ``PriorEstimate`` or ``AUFrames`` (``.aus`` / ``.expressions``),
            a torch-geometric ``Data`` from ``auknow.compile.to_data`` (``.aus``), a networkx graph
            (its node order), or a plain tensor / array (no labels). Names outside the vocabulary
            (a model's own classes) are returned as written.
        kind: ``"aus"`` or ``"expressions"``.

    Raises:
        ValueError: ``kind`` is neither.

    >>> class M: aus = ("AU1", "AU12")
    >>> labels_of(M(), "aus")
    ('AU01', 'AU12')
    """
    if kind not in ("aus", "expressions"):
        raise ValueError(f"kind must be 'aus' or 'expressions', got {kind!r}")
    if obj is None:
        return None
    value = getattr(obj, kind, None)
    if value is None and kind == "aus" and hasattr(obj, "nodes") and hasattr(obj, "edges") \
            and hasattr(obj, "graph"):  # a networkx graph: its nodes, in order
        value = list(obj.nodes)
    if value is None or callable(value):
        return None
    try:
        value = tuple(value)
    except TypeError:
        return None
    if not value or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        return None
    try:
        return resolve_aus(value) if kind == "aus" else resolve_expressions(value)
    except LabelError:  # names outside the vocabulary (a model's own classes): compared as written
        return tuple(str(v) for v in value)


def check_same_order(expected: Sequence[str] | None, given: Sequence[str] | None, *, kind: str,
                     what: str) -> None:
    """Raise :class:`LabelError` unless two label orders are the same (either ``None``: no check).

    Args:
        expected: the order the consumer was built for (canonical names).
        given: the order an artifact carries (canonical names).
        kind: ``"aus"`` or ``"expressions"`` (for the message).
        what: the artifact, for the message (``"the prior"``, ``"the knowledge graph"``).

    >>> check_same_order(("AU01", "AU02"), ("AU01", "AU02"), kind="aus", what="the graph")
    >>> check_same_order(("AU01", "AU02"), ("AU02", "AU01"), kind="aus", what="the graph")
    Traceback (most recent call last):
    ...
    auknow.errors.LabelError: the graph is in another aus order: AU02,AU01, expected AU01,AU02 ...
    """
    if expected is None or given is None or tuple(expected) == tuple(given):
        return
    expected, given = tuple(expected), tuple(given)
    if set(expected) == set(given):
        how = "reorder it explicitly (PriorMatrix.reindex, to_pyg(graph, aus=...))"
    else:
        lacks = [x for x in expected if x not in given]
        more = [x for x in given if x not in expected]
        parts = ([f"lacks {','.join(lacks)}"] if lacks else []) + ([f"has {','.join(more)} too"] if more else [])
        how = f"it {' and '.join(parts)}; reindex it to the expected labels"
    raise LabelError(f"{what} is in another {kind} order: {','.join(given)}, expected {','.join(expected)} "
                     f"({how})")
