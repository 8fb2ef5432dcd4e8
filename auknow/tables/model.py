"""In-memory knowledge tables: prototype, quantified, relation and dataset-descriptor tables.

The YAML format these mirror is documented in ``docs/knowledge-format.md`` (schema version 1).
Tables are plain dataclasses: equal tables compare equal, so ``load(save(t)) == t`` is testable.
AU keys are canonical AU names (``AU12``); expression keys are canonical expression names
(``happiness``); configurations hold parsed FACS codes (:class:`auknow.facs.FacsItem`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..facs import FacsItem

SCHEMA_VERSION = 1
TABLE_KINDS = ("prototype", "quantified", "relation", "dataset")
PROVENANCE_KINDS = ("literature", "estimated", "edited")
RELATION_KINDS = ("co-occurrence", "exclusive", "hierarchy")


@dataclass
class Citation:
    """Where a table's facts come from.

    Attributes:
        authors: author names as printed, e.g. ``["Ekman, P.", "Friesen, W. V."]``.
        year: publication year.
        title: title of the work.
        venue: journal, book or publisher (optional).
        doi: DOI without the resolver prefix (optional).
        url: a stable URL (optional).

    >>> fig = Citation(authors=["Ekman, P.", "Friesen, W. V.", "Hager, J. C."], year=2002,
    ...                title="Facial Action Coding System: Investigator's Guide")
    >>> fig.short(), Citation(["Jack, R. E.", "Schyns, P. G."], 2012, "Facial expressions of emotion").short()
    ('Ekman et al. (2002)', 'Jack & Schyns (2012)')
    """

    authors: list[str]
    year: int
    title: str
    venue: str | None = None
    doi: str | None = None
    url: str | None = None

    def short(self) -> str:
        """``"Ekman et al. (2002)"`` style short form."""
        first = self.authors[0].split(",")[0].strip() if self.authors else "?"
        etal = " et al." if len(self.authors) > 2 else (
            f" & {self.authors[1].split(',')[0].strip()}" if len(self.authors) == 2 else "")
        return f"{first}{etal} ({self.year})"


@dataclass
class Provenance:
    """A table's provenance block.

    Attributes:
        kind: ``literature`` (transcribed from a publication), ``estimated`` (measured from data
            by ``auknow estimate-prior``) or ``edited`` (changed by hand from another table).
        citation: the source publication (required for literature tables).
        notes: free text: how the facts were transcribed, what was changed, caveats.
        details: any further keys (for estimated tables: dataset, path, unit, counts, folds,
            statistic, seed, auknow version, date), kept in order.

    >>> prov = Provenance(kind="estimated", notes="P(AU | expression) from CK+ peaks",
    ...                   details={"dataset": "ckplus", "seed": 0})
    >>> prov.citation is None, list(prov.details)
    (True, ['dataset', 'seed'])
    """

    kind: str
    citation: Citation | None = None
    notes: str | None = None
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Configuration:
    """One AU configuration of an expression (a prototype or a variant).

    Attributes:
        required: AUs that must all appear (with intensity / laterality where the source gives it).
        optional: AUs any subset of which may join.
        alternatives: AUs of which exactly one joins (empty: none required).
        type: the source's label for the configuration (``prototype``, ``variant``, ``ICP``, ...).
        notes: non-FACS cues or remarks (``"deep breath"``, ``"15B"`` notes).

    >>> from auknow.facs import parse_facs
    >>> cfg = Configuration(required=parse_facs("1+2+5B"), alternatives=parse_facs("26+27", check_exclusive=False),
    ...                     type="prototype")
    >>> cfg.au_names()
    ('AU01', 'AU02', 'AU05', 'AU26', 'AU27')
    """

    required: tuple[FacsItem, ...]
    optional: tuple[FacsItem, ...] = ()
    alternatives: tuple[FacsItem, ...] = ()
    type: str | None = None
    notes: str | None = None

    def au_names(self) -> tuple[str, ...]:
        """Canonical names of every AU the configuration mentions, in FACS order."""
        nums = sorted({i.number for i in (*self.required, *self.optional, *self.alternatives)})
        from ..facs import au_name
        return tuple(au_name(n) for n in nums)


@dataclass
class PrototypeTable:
    """Per expression, one or more AU configurations. ``expressions``: name -> configurations.

    >>> from auknow.facs import parse_facs
    >>> table = PrototypeTable(name="mini", title="Mini", provenance=Provenance(kind="edited"),
    ...                        expressions={"happiness": [Configuration(required=parse_facs("6+12"))]})
    >>> table.kind, [c.au_names() for c in table.expressions["happiness"]]
    ('prototype', [('AU06', 'AU12')])
    """

    name: str
    title: str
    provenance: Provenance
    expressions: dict[str, list[Configuration]]
    extra_expressions: list[str] = field(default_factory=list)
    kind: str = "prototype"


@dataclass
class Statistic:
    """What the numbers of a quantified or relation table mean.

    Attributes:
        name: the statistic, e.g. ``p_au_given_expression``, ``weight``, ``phi``.
        range: closed value range ``(low, high)``; may be infinite (``(-inf, inf)``).
        description: one sentence a person can read.

    >>> phi = Statistic(name="phi", range=(-1.0, 1.0), description="phi coefficient of two AUs' occurrence")
    >>> phi.range[0] <= 0.4 <= phi.range[1]
    True
    """

    name: str
    range: tuple[float, float]
    description: str | None = None


@dataclass
class Weight:
    """One quantified value with optional uncertainty.

    Attributes:
        value: the statistic's value, inside the table's declared range.
        ci: confidence interval ``(low, high)``, ``low <= high`` (optional).
        n: number of observations behind the value (optional).
        p_value, q_value: significance, in [0, 1] (optional; q = Benjamini-Hochberg).
        interval: a band ``(low, high)`` the source gives instead of (or around) a point value,
            e.g. "primary AUs: P in [0.75, 1]" (optional). Unlike ``ci`` it is knowledge, not
            sampling uncertainty; ``value`` then defaults to the band's midpoint, which is what
            compiled matrices use.

    >>> band = Weight(value=0.875, interval=(0.75, 1.0))  # "primary AUs: P in [0.75, 1]"
    >>> band.value == sum(band.interval) / 2, Weight(0.62, ci=(0.55, 0.69), n=120).n
    (True, 120)
    """

    value: float
    ci: tuple[float, float] | None = None
    n: int | None = None
    p_value: float | None = None
    q_value: float | None = None
    interval: tuple[float, float] | None = None


@dataclass
class QuantifiedTable:
    """Per expression, a weight per AU. ``weights``: expression -> AU name -> :class:`Weight`.

    ``scale`` records a multiplier a source applies before use (AU-DFER multiplies by 5);
    the stored values are the unscaled ones.

    >>> table = QuantifiedTable(name="mini", title="Mini", provenance=Provenance(kind="edited"),
    ...                         statistic=Statistic("p_au_given_expression", (0.0, 1.0)),
    ...                         weights={"happiness": {"AU12": Weight(0.9), "AU06": Weight(0.7)},
    ...                                  "surprise": {"AU01": Weight(0.8)}})
    >>> table.aus(), table.weights["happiness"]["AU12"].value
    (['AU01', 'AU06', 'AU12'], 0.9)
    """

    name: str
    title: str
    provenance: Provenance
    statistic: Statistic
    weights: dict[str, dict[str, Weight]]
    scale: float | None = None
    extra_expressions: list[str] = field(default_factory=list)
    kind: str = "quantified"

    def aus(self) -> list[str]:
        """Every AU name with a weight in any expression, in FACS number order."""
        names = {au for row in self.weights.values() for au in row}
        return sorted(names, key=lambda a: int(a[2:]))


@dataclass
class Relation:
    """One AU-AU relation.

    Attributes:
        au_i, au_j: canonical AU names, different.
        kind: ``co-occurrence``, ``exclusive`` or ``hierarchy`` (au_i implies au_j).
        strength: the relation's statistic (inside the table's declared range, if any).
        directed: whether the pair is ordered (``P(j | i)``); hierarchy is always directed.
        ci, n, p_value, q_value: optional uncertainty, as in :class:`Weight`.

    >>> rel = Relation(au_i="AU06", au_j="AU12", kind="co-occurrence", strength=0.61, n=327)
    >>> rel.directed, rel.strength
    (False, 0.61)
    """

    au_i: str
    au_j: str
    kind: str
    strength: float
    directed: bool = False
    ci: tuple[float, float] | None = None
    n: int | None = None
    p_value: float | None = None
    q_value: float | None = None


@dataclass
class RelationTable:
    """AU-AU relations. ``statistic`` declares what ``strength`` means (optional).

    >>> table = RelationTable(name="mini", title="Mini", provenance=Provenance(kind="edited"),
    ...                       relations=[Relation("AU06", "AU12", "co-occurrence", 0.61),
    ...                                  Relation("AU24", "AU25", "exclusive", 1.0)])
    >>> table.kind, [(r.au_i, r.au_j, r.kind) for r in table.relations if r.kind == "exclusive"]
    ('relation', [('AU24', 'AU25', 'exclusive')])
    """

    name: str
    title: str
    provenance: Provenance
    relations: list[Relation]
    statistic: Statistic | None = None
    kind: str = "relation"


@dataclass
class Task:
    """A recording task of a dataset and the expression it elicits (BP4D T1 -> happiness).

    >>> from auknow.library import load_bundled
    >>> load_bundled("bp4d").tasks["T1"]
    Task(expression='happiness', description='happiness / amusement')
    """

    expression: str
    description: str | None = None


@dataclass
class DatasetDescriptor:
    """Facts about an AU-labelled dataset that readers and estimation need.

    Attributes:
        aus: the AU set used in benchmarks, canonical names in the dataset's order.
        intensity_aus: AUs coded for intensity (0-5), if any.
        occurrence_threshold: intensity at or above which an AU counts as present (DISFA: 2).
        tasks: task code -> :class:`Task` (BP4D).
        emotion_codes: integer label -> canonical expression (CK+ ``Emotion_labels``).
        folds: fold number -> test subjects of that fold (subject-independent splits).

    >>> from auknow.library import load_bundled
    >>> ck = load_bundled("ckplus")
    >>> ck.kind, len(ck.aus), ck.emotion_codes[5], ck.folds
    ('dataset', 23, 'happiness', {})
    """

    name: str
    title: str
    provenance: Provenance
    aus: list[str] = field(default_factory=list)
    intensity_aus: list[str] = field(default_factory=list)
    occurrence_threshold: float | None = None
    tasks: dict[str, Task] = field(default_factory=dict)
    emotion_codes: dict[int, str] = field(default_factory=dict)
    folds: dict[int, list[str]] = field(default_factory=dict)
    kind: str = "dataset"


Table = Union[PrototypeTable, QuantifiedTable, RelationTable, DatasetDescriptor]
