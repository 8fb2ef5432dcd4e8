"""``auknow schema`` and ``auknow new``: the JSON Schema of tables, and commented templates.

``auknow new KIND NAME`` writes ``NAME.yaml`` (or ``--out FILE``): a valid table of that kind
whose comments explain every key, headed by a ``yaml-language-server`` line that points editors
at the schema shipped in the package, so they check the table as it is typed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_checks import check_output_file, table_name

TEMPLATES = {
    "prototype": """\
schema_version: 1            # always 1
kind: prototype              # expression -> AU configurations (EMFACS-style prototypes)
name: {name}                 # lower-case letters, digits, _ or -; the name other commands use
title: {title}
provenance:
  kind: edited               # literature (then a citation is required), estimated or edited
  notes: Who wrote this table, from what, and what was simplified.
  # citation:                # for kind: literature
  #   authors: [Ekman, P., Friesen, W. V.]
  #   year: 1978
  #   title: Facial Action Coding System
  #   doi: 10.1037/t27734-000
expressions:                 # names from the vocabulary (aliases: happy -> happiness), each once
  happiness:
  - required: 6+12           # FACS code string: AUs joined by +, intensity letters A-E (5B), L/R/U sides
    optional: 25             # AUs that may join (value --optional-value in the prior matrix)
    type: prototype          # free text: prototype, variant, ...
  surprise:
  - required: 1+2+5B
    alternatives: 26+27      # exactly one of these joins
# extra_expressions: [awe]   # expression names outside the vocabulary, declared here
""",
    "quantified": """\
schema_version: 1
kind: quantified             # expression x AU weights with a declared statistic
name: {name}
title: {title}
provenance:
  kind: edited
  notes: Where the numbers come from (paper, table, equation; or an estimate-prior run).
statistic:
  name: p_au_given_expression   # what the weights are
  range: [0, 1]                 # every value (and CI) must lie inside; [-.inf, .inf] for unbounded
  description: probability that the AU occurs given the expression
weights:                     # expression -> AU -> value, or a mapping with value, ci, n, p_value, q_value
  happiness:
    AU06: 0.8
    AU12: {{value: 0.95, ci: [0.9, 0.99], n: 120, q_value: 0.001}}
  sadness:
    AU01: 0.6
    AU15: 0.7
# scale: 5                   # optional: the factor the source multiplies the weights by
""",
    "relation": """\
schema_version: 1
kind: relation               # AU-AU relations: co-occurrence, exclusive, hierarchy
name: {name}
title: {title}
provenance:
  kind: edited
  notes: Where the relations come from.
statistic:                   # optional: what strength measures, and its range
  name: p_j_given_i
  range: [0, 1]
relations:
- au_i: AU06
  au_j: AU12
  kind: co-occurrence        # co-occurrence, exclusive or hierarchy (au_i implies au_j; directed)
  strength: 0.7
  directed: true             # P(au_j | au_i); default false (hierarchy: true)
- au_i: AU25
  au_j: AU26
  kind: exclusive
  strength: 1
""",
    "dataset": """\
schema_version: 1
kind: dataset                # what an AU-labelled dataset codes, its tasks, labels and folds
name: {name}
title: {title}
provenance:
  kind: edited
  notes: The dataset's paper and release this describes.
aus: [AU01, AU02, AU04, AU06, AU12]   # AUs coded for occurrence
intensity_aus: [AU06, AU12]           # AUs coded for intensity (0-5)
occurrence_threshold: 2               # intensity at or above which an AU occurs, in (0, 5]
tasks:                                # task code -> elicited expression
  T1: {{expression: happiness, description: a funny video}}
  T2: sadness
emotion_codes:                        # integer labels -> expressions
  0: neutral
  1: happiness
folds:                                # fold number -> test subjects (disjoint)
  1: [S01, S02]
  2: [S03, S04]
""",
}


def template(kind: str, name: str, title: str | None = None) -> str:
    """The commented template of a table kind (valid as written), headed by the
    yaml-language-server line that points editors at the shipped schema.

    >>> from auknow.tables.yamlio import load_with_lines
    >>> load_with_lines(template("relation", "mine"), "mine.yaml")[0]["name"]
    'mine'
    """
    from .tables.schema import schema_path

    head = (f"# yaml-language-server: $schema={schema_path()}\n"
            f"# auknow knowledge table (schema 1); format: docs/knowledge-format.md; check: auknow validate\n")
    title = title or f"{name}: {kind} table"
    return head + TEMPLATES[kind].format(name=name, title=_yaml_str(title))


def _yaml_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _cmd_schema(args: argparse.Namespace) -> int:
    from .tables.schema import schema_path, schema_text

    if args.path:
        print(schema_path())
        return 0
    if args.out:
        from .atomic import write_text_atomic

        check_output_file(args.out, "--out", args.force, (".json",), "schema")
        write_text_atomic(args.out, schema_text(), overwrite=args.force)
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    sys.stdout.write(schema_text())
    return 0


def _cmd_new(args: argparse.Namespace) -> int:
    from .atomic import write_text_atomic

    out = Path(args.out or f"{args.name}.yaml")
    check_output_file(out, "--out", args.force, (".yaml", ".yml"), "table")
    write_text_atomic(out, template(args.kind, args.name, args.title), overwrite=args.force)
    print(f"wrote {out}: a {args.kind} table; edit it, then check it with auknow validate {out}", file=sys.stderr)
    return 0


def add_table_commands(subparsers) -> None:
    """Register ``schema`` and ``new`` on the ``auknow`` subparsers object."""
    p = subparsers.add_parser(
        "schema", help="print the JSON Schema of knowledge tables (for editors)",
        description="Print the JSON Schema (draft 2020-12) of knowledge tables. VS Code with the YAML "
                    "extension checks a table as you type when its first line is "
                    "'# yaml-language-server: $schema=PATH' (PATH from auknow schema --path; auknow new writes "
                    "it). See docs/knowledge-format.md.")
    p.add_argument("--path", action="store_true", help="print the path of the schema file shipped in the package")
    p.add_argument("--out", metavar="FILE", help="write the schema to FILE (.json) instead of printing it")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=_cmd_schema)

    p = subparsers.add_parser(
        "new", help="write a commented template of a table kind",
        description="Write NAME.yaml: a valid, commented knowledge table of KIND to edit, checked by editors "
                    "against the schema (its first line) and by auknow validate.")
    p.add_argument("kind", choices=tuple(TEMPLATES), metavar="KIND", help=f"one of {', '.join(TEMPLATES)}")
    p.add_argument("name", type=table_name, metavar="NAME", help="table name: lower-case letters, digits, _ or -")
    p.add_argument("--title", help="the table's title (default: 'NAME: KIND table')")
    p.add_argument("--out", metavar="FILE", help="where to write it (default NAME.yaml)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=_cmd_new)
