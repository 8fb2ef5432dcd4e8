"""JSON Schema (draft 2020-12) of the knowledge-table format, for editors that check YAML as
it is typed (VS Code with the YAML extension, any yaml-language-server client).

:func:`table_schema` builds the schema from the same constants the validator uses (table,
provenance and relation kinds, the expression vocabulary with its aliases, the AU spellings), and
the package ships it as ``auknow/data/table.schema.json`` (``auknow schema`` prints it).

The schema checks structure, types, keys (closed: a misspelt key is an error), names, AU and
FACS-code spellings and the fixed ranges (p- and q-values in [0, 1], counts >= 0). What JSON
Schema cannot say is left to ``auknow validate``: values inside the range a table *declares*,
FACS 2002 code numbers and exclusive pairs, names repeated after alias resolution (``happy`` and
``happiness``), and expression names declared under ``extra_expressions``.
"""

from __future__ import annotations

import json
from functools import lru_cache

from ..expressions import vocabulary
from .model import PROVENANCE_KINDS, RELATION_KINDS, SCHEMA_VERSION, TABLE_KINDS

SCHEMA_ID = "urn:auknow:knowledge-table:1"
#: an AU as written in tables and tools: AU12, AU01, au_1, 12, AD19, AU12_c, AU12_r
AU_PATTERN = (r"^\s*(([Aa][UuDd]|[Ss][Cc])[ _]?)?0*[0-9]{1,3}[LlRr]?"
              r"(_([cr]|occ|occurrence|int|intensity|prob|probability|evidence))?\s*$")
_CODE = r"[A-Za-z]?0*[0-9]{1,3}[A-Ea-e]{0,2}[LlRrUu]?"
#: a FACS code string: 1+2+5B+26, L12, U20, 12CD
FACS_PATTERN = rf"^\s*{_CODE}(\s*\+\s*{_CODE})*\s*$"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"
SNAKE_PATTERN = r"^[a-z0-9][a-z0-9_]*$"


def _number() -> dict:
    return {"type": "number"}


def _codes() -> dict:
    item = {"anyOf": [{"type": "string", "pattern": FACS_PATTERN}, {"type": "integer", "minimum": 0}]}
    return {"anyOf": [item, {"type": "array", "items": item}, {"type": "null"}]}


def _uncertainty() -> dict:
    return {
        "ci": {"type": "array", "items": _number(), "minItems": 2, "maxItems": 2,
               "description": "confidence interval [low, high], low <= high, inside the declared range"},
        "n": {"type": "integer", "minimum": 0, "description": "units counted"},
        "p_value": {"type": "number", "minimum": 0, "maximum": 1},
        "q_value": {"type": "number", "minimum": 0, "maximum": 1},
    }


def _expression_names() -> list[str]:
    names = set()
    for name, aliases in vocabulary().items():
        names.add(name)
        names.update(aliases)
    return sorted(names)


def _common() -> dict:
    citation = {
        "type": "object", "additionalProperties": False, "required": ["authors", "year", "title"],
        "properties": {
            "authors": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
            "year": {"type": "integer", "minimum": 1500, "maximum": 2100},
            **{k: {"type": "string", "minLength": 1} for k in ("title", "venue", "doi", "url")},
        },
    }
    provenance = {
        "type": "object", "required": ["kind"],
        "properties": {"kind": {"enum": list(PROVENANCE_KINDS)}, "citation": citation,
                       "notes": {"type": "string"}},
        "if": {"properties": {"kind": {"const": "literature"}}},
        "then": {"required": ["kind", "citation"]},
        "description": "where the table comes from; other keys are free details",
    }
    return {
        "schema_version": {"const": SCHEMA_VERSION},
        "kind": {"enum": list(TABLE_KINDS)},
        "name": {"type": "string", "pattern": NAME_PATTERN, "description": "lower-case letters, digits, _ or -"},
        "title": {"type": "string", "minLength": 1},
        "provenance": provenance,
    }


def _kind(kind: str, properties: dict, required: list[str]) -> dict:
    return {"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"properties": properties, "required": required,
                     "propertyNames": {"enum": sorted(set(_common()) | set(properties))}}}


def _expression_keys(value_schema: dict) -> dict:
    """Expressions -> value; names from the vocabulary unless the table declares extra ones."""
    return {"type": "object", "minProperties": 1, "additionalProperties": value_schema,
            "propertyNames": {"type": "string", "minLength": 1}}


def _prototype() -> dict:
    configuration = {"anyOf": [
        {"type": "string", "pattern": FACS_PATTERN}, {"type": "integer", "minimum": 0},
        {"type": "object", "additionalProperties": False,
         "properties": {"required": _codes(), "optional": _codes(), "alternatives": _codes(),
                        "type": {"type": ["string", "null"]}, "notes": {"type": ["string", "null"]}},
         "anyOf": [{"required": ["required"]}, {"required": ["alternatives"]}]},
    ]}
    return {"expressions": _expression_keys({"type": "array", "minItems": 1, "items": configuration}),
            "extra_expressions": {"type": "array", "items": {"type": "string", "pattern": SNAKE_PATTERN}}}


def _statistic() -> dict:
    return {"type": "object", "additionalProperties": False, "required": ["name", "range"],
            "properties": {"name": {"type": "string", "minLength": 1},
                           "range": {"type": "array", "items": _number(), "minItems": 2, "maxItems": 2},
                           "description": {"type": "string"}}}


def _quantified() -> dict:
    weight = {"anyOf": [_number(), {"type": "object", "additionalProperties": False, "required": ["value"],
                                    "properties": {"value": _number(), **_uncertainty()}}]}
    row = {"type": "object", "additionalProperties": weight,
           "propertyNames": {"pattern": AU_PATTERN}}
    return {"statistic": _statistic(), "weights": _expression_keys(row),
            "scale": {"type": "number", "exclusiveMinimum": 0},
            "extra_expressions": {"type": "array", "items": {"type": "string", "pattern": SNAKE_PATTERN}}}


def _au() -> dict:
    return {"anyOf": [{"type": "string", "pattern": AU_PATTERN}, {"type": "integer", "minimum": 0}]}


def _relation() -> dict:
    relation = {"type": "object", "additionalProperties": False,
                "required": ["au_i", "au_j", "kind", "strength"],
                "properties": {"au_i": _au(), "au_j": _au(), "kind": {"enum": list(RELATION_KINDS)},
                               "strength": _number(), "directed": {"type": "boolean"}, **_uncertainty()},
                "if": {"properties": {"kind": {"const": "hierarchy"}}},
                "then": {"not": {"properties": {"directed": {"const": False}}, "required": ["directed"]}}}
    return {"statistic": _statistic(), "relations": {"type": "array", "minItems": 1, "items": relation}}


def _dataset() -> dict:
    task = {"anyOf": [{"type": "string"}, {"type": "object", "additionalProperties": False,
                                           "required": ["expression"],
                                           "properties": {"expression": {"type": "string"},
                                                          "description": {"type": ["string", "null"]}}}]}
    return {"aus": {"type": "array", "items": _au()}, "intensity_aus": {"type": "array", "items": _au()},
            "occurrence_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 5},
            "tasks": {"type": "object", "additionalProperties": task},
            "emotion_codes": {"type": "object", "additionalProperties": {"type": "string"}},
            "folds": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}


@lru_cache(maxsize=None)
def _schema_text() -> str:
    names = _expression_names()
    vocab_rule = {"if": {"not": {"required": ["extra_expressions"]}},
                  "then": {"properties": {k: {"propertyNames": {"enum": names}} for k in ("expressions", "weights")}}}
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "auknow knowledge table (schema_version 1)",
        "description": "FACS Action Unit knowledge: prototype, quantified, relation or dataset tables. "
                       "Format: docs/knowledge-format.md; `auknow validate` checks what a schema cannot "
                       "(declared ranges, FACS 2002 codes and exclusive pairs, aliases given twice).",
        "type": "object",
        "required": ["schema_version", "kind", "name", "title", "provenance"],
        "properties": _common(),
        "allOf": [_kind("prototype", _prototype(), ["expressions"]),
                  _kind("quantified", _quantified(), ["statistic", "weights"]),
                  _kind("relation", _relation(), ["relations"]),
                  _kind("dataset", _dataset(), []),
                  vocab_rule],
    }
    return json.dumps(schema, indent=2) + "\n"


def table_schema() -> dict:
    """The JSON Schema of knowledge tables as a dict (a fresh copy each call).

    >>> s = table_schema()
    >>> s["properties"]["kind"]["enum"]
    ['prototype', 'quantified', 'relation', 'dataset']
    """
    return json.loads(_schema_text())


def schema_text() -> str:
    """The schema as indented JSON text (what ``auknow schema`` prints and the package ships).

    >>> text = schema_text()
    >>> text.splitlines()[2], json.loads(text) == table_schema()
    ('  "$id": "urn:auknow:knowledge-table:1",', True)
    """
    return _schema_text()


def schema_path():
    """Path of the schema file shipped in the package (``auknow/data/table.schema.json``).

    Returns:
        An ``importlib.resources`` traversable (a ``pathlib.Path`` for an ordinary installation).

    The shipped file holds the schema :func:`schema_text` builds:

    >>> path = schema_path()
    >>> path.name, json.loads(path.read_text(encoding="utf-8")) == table_schema()
    ('table.schema.json', True)
    """
    from importlib import resources

    return resources.files("auknow").joinpath("data").joinpath("table.schema.json")
