"""The JSON Schema of tables agrees with the validator; `auknow schema` and `auknow new` work.

Agreement: every bundled table and every template is valid under both; every malformed table
of tests/test_bad_inputs.py is refused by the validator, and by the schema too except the
listed rules JSON Schema cannot express (checked as a set, so drift either way fails).
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from auknow.cli import main
from auknow.cli_tables import TEMPLATES, template
from auknow.library import bundled_table_paths
from auknow.tables import read_table
from auknow.tables.schema import schema_path, schema_text, table_schema
from auknow.tables.yamlio import TableLoader

from test_bad_inputs import TABLES

VALIDATOR = jsonschema.Draft202012Validator(table_schema())

#: malformed tables whose rule JSON Schema cannot state; only `auknow validate` refuses them.
SCHEMA_CANNOT = {
    "unknown_au",            # FACS 2002 code list (99 is spelt like an AU)
    "exclusive_required",    # FACS exclusive pairs
    "expression_twice",      # happy and happiness: the same name after alias resolution
    "au_twice_spelt",        # AU12 and '12': the same AU after spelling resolution
    "au_twice_in_parts",     # one AU in required and optional
    "weight_out_of_range",   # value outside the range the table declares
    "ci_reversed",           # low <= high
    "ci_outside_range",      # CI outside the declared range
    "bad_range",             # [low, high] with low < high
    "relation_same_au",      # au_i != au_j
    "relation_twice",        # the same pair listed twice
    "weight_nan",            # .nan is a number to JSON Schema
    "duplicate_key",         # YAML keeps the last one; the schema sees one key
}
#: not YAML data at all (syntax errors, alias bombs): nothing for a schema to see.
NOT_DATA = {"recursive_alias", "recursive_mapping_alias", "billion_laughs", "deep_nesting", "deep_alias_chain",
            "deep_block_nesting", "unclosed_bracket", "tab_indent", "control_character", "empty_file"}


def _data(text: str):
    return yaml.load(text, Loader=TableLoader)


def _schema_ok(data) -> bool:
    return VALIDATOR.is_valid(data)


def test_shipped_file_is_the_generated_schema():
    assert schema_path().read_text(encoding="utf-8") == schema_text()
    jsonschema.Draft202012Validator.check_schema(table_schema())


@pytest.mark.parametrize("path", bundled_table_paths(), ids=lambda p: p.stem)
def test_bundled_tables_valid_under_both(path):
    assert read_table(path)[1] == []
    errors = [e.message for e in VALIDATOR.iter_errors(_data(path.read_text(encoding="utf-8")))]
    assert errors == []


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_templates_valid_under_both(tmp_path, kind):
    p = tmp_path / f"t_{kind}.yaml"
    p.write_text(template(kind, f"t_{kind}"), encoding="utf-8")
    assert read_table(p)[1] == []
    assert _schema_ok(_data(p.read_text()))


def test_malformed_tables_agree(tmp_path):
    refused_by_schema, accepted_by_schema = set(), set()
    for name, (text, _) in TABLES.items():
        p = tmp_path / f"{name}.yaml"
        p.write_text(text, encoding="utf-8")
        assert read_table(p)[1], f"the validator accepts {name}"
        if name in NOT_DATA:
            continue
        (refused_by_schema if not _schema_ok(_data(text)) else accepted_by_schema).add(name)
    assert accepted_by_schema == SCHEMA_CANNOT


def test_schema_command_prints_the_schema(capsys, tmp_path):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == table_schema()
    assert main(["schema", "--path"]) == 0
    assert capsys.readouterr().out.strip() == str(schema_path())
    out = tmp_path / "s.json"
    assert main(["schema", "--out", str(out)]) == 0 and json.loads(out.read_text()) == table_schema()
    assert main(["schema", "--out", str(out)]) == 2  # exists, no --force
    assert "--force" in capsys.readouterr().err


def test_new_writes_a_valid_template_once(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for kind in TEMPLATES:
        assert main(["new", kind, f"my_{kind}"]) == 0
        text = (tmp_path / f"my_{kind}.yaml").read_text()
        assert text.startswith("# yaml-language-server: $schema=")
        assert sum("  # " in line or line.startswith("#") for line in text.splitlines()) >= 5  # commented
    assert main(["validate", str(tmp_path)]) == 0
    assert main(["new", "prototype", "my_prototype"]) == 2  # never overwritten without --force
    assert main(["new", "prototype", "Bad Name"]) == 2
    assert main(["new", "proto", "x"]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and "NAME" in err and "KIND" in err and "Traceback" not in err
