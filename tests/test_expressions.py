"""Expression vocabulary: aliases, normalization, unknown names with suggestions, extra names."""

from __future__ import annotations

import re

import pytest

from auknow.errors import AuknowError
from auknow.expressions import ExpressionError, canonical_expression, normalize, vocabulary


@pytest.mark.parametrize("text, name", [
    ("happy", "happiness"), ("joy", "happiness"), ("Happiness", "happiness"), ("HAPPY", "happiness"),
    (" joyful ", "happiness"), ("angry", "anger"), ("anger", "anger"), ("fearful", "fear"),
    ("afraid", "fear"), ("sad", "sadness"), ("surprised", "surprise"), ("disgusted", "disgust"),
    ("neutral", "neutral"), ("Happily Surprised", "happily_surprised"),
    ("happily.surprised", "happily_surprised"), ("happily-surprised", "happily_surprised"),
    ("happily_surprised", "happily_surprised"), ("Desire Food", "desire_food"),
])
def test_aliases(text, name):
    assert canonical_expression(text) == name


def test_normalize():
    assert normalize("Happily Surprised") == "happily_surprised"
    assert normalize("  a.b-c  d ") == "a_b_c_d"
    assert normalize("-x-") == "x"


def test_vocabulary_is_consistent():
    vocab = vocabulary()
    assert {"happiness", "sadness", "surprise", "fear", "anger", "disgust", "contempt", "neutral"} <= set(vocab)
    seen = {}
    for name, aliases in vocab.items():
        assert re.fullmatch(r"[a-z][a-z_]*", name), name
        assert canonical_expression(name) == name
        for alias in aliases:
            assert alias not in vocab, f"alias {alias} is also a canonical name"
            assert alias not in seen, f"alias {alias} of both {seen.get(alias)} and {name}"
            seen[alias] = name
            assert canonical_expression(alias) == name


@pytest.mark.parametrize("text, suggestion", [
    ("happyness", "happiness"), ("angery", "anger"), ("supprise", "surprise"), ("disgusst", "disgust"),
])
def test_unknown_names_raise_with_a_suggestion(text, suggestion):
    with pytest.raises(ExpressionError) as info:
        canonical_expression(text)
    message = str(info.value)
    assert f"unknown expression '{text}'" in message
    assert "did you mean" in message and suggestion in message
    assert isinstance(info.value, AuknowError) and isinstance(info.value, ValueError)


def test_unknown_name_without_close_match_points_to_extra_expressions():
    with pytest.raises(ExpressionError, match="extra_expressions"):
        canonical_expression("xqzzv")


def test_extra_names_accepted():
    assert canonical_expression("startle", extra=["startle"]) == "startle"
    assert canonical_expression("Startle", extra=["startle"]) == "startle"
    assert canonical_expression("mild startle", extra=["mild_startle"]) == "mild_startle"
    # the vocabulary still works beside extra names
    assert canonical_expression("happy", extra=["startle"]) == "happiness"
    with pytest.raises(ExpressionError):
        canonical_expression("startle")
    with pytest.raises(ExpressionError, match="did you mean startle"):
        canonical_expression("startel", extra=["startle"])
