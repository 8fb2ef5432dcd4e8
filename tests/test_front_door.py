"""``import auknow`` is the front door (issue 11): every exported name resolves, lazily."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import auknow


@pytest.mark.parametrize("name", [n for n in auknow.__all__ if n != "__version__"])
def test_every_exported_name_resolves(name):
    value = getattr(auknow, name)
    assert not isinstance(value, types.ModuleType), f"auknow.{name} is a module, not the function/class/constant"
    if callable(value):
        assert (value.__doc__ or "").strip(), f"auknow.{name} has no docstring"


def test_dir_lists_the_exports_and_no_import_helpers():
    listed = {n for n in dir(auknow) if not n.startswith("_")}
    assert set(auknow.__all__) - {"__version__"} <= listed
    extra = {n for n in listed - set(auknow.__all__) if not isinstance(getattr(auknow, n), types.ModuleType)}
    assert not extra, f"dir(auknow) shows names that are not exports: {sorted(extra)}"


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'estimate_priors'"):
        auknow.estimate_priors  # noqa: B018  (a typo of estimate_prior)


def test_import_is_lazy_torch_and_pandas_load_on_first_use():
    code = ("import sys, auknow; before = {'torch' in sys.modules, 'pandas' in sys.modules}; "
            "auknow.load_table; after_table = 'torch' in sys.modules; auknow.AULoss; "
            "print(before, after_table, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["{False}", "False", "True"], out
