"""The CLI hides third-party deprecation noise (issue 18) but never auknow's own warnings."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

from auknow import cli, library


def _emit_from(module: str, category: type[Warning], text: str) -> None:
    # a warning attributed to `module`, as warnings.warn(..., stacklevel) inside it would be
    warnings.warn_explicit(text, category, module.replace(".", "/") + ".py", 1, module=module,
                           registry={})


def _noisy_list(*_a, **_k):
    _emit_from("torch_geometric.typing", FutureWarning, "third-party future")
    _emit_from("torch.jit._script", DeprecationWarning, "third-party deprecation")
    _emit_from("torch_geometric.nn", UserWarning, "third-party user warning")
    _emit_from("auknow.library", FutureWarning, "auknow future")
    _emit_from("auknow", DeprecationWarning, "auknow deprecation")
    _emit_from("auknowledge_other_pkg", DeprecationWarning, "a package merely named like auknow")
    return []


def _run_list(monkeypatch) -> set[str]:
    monkeypatch.setattr(library, "list_bundled", _noisy_list)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")  # without the CLI's filters every warning would show
        assert cli.main(["list"]) == 0
    return {str(w.message) for w in rec}


def test_cli_hides_third_party_deprecations_keeps_own(monkeypatch, capsys):
    monkeypatch.setattr(sys, "warnoptions", [])
    shown = _run_list(monkeypatch)
    assert shown == {"third-party user warning", "auknow future", "auknow deprecation"}


def test_cli_respects_users_warning_options(monkeypatch, capsys):
    monkeypatch.setattr(sys, "warnoptions", ["always"])  # python -W always / PYTHONWARNINGS
    shown = _run_list(monkeypatch)
    assert {"third-party future", "third-party deprecation", "auknow future"} <= shown


_CHILD = textwrap.dedent("""
    import sys, warnings
    warnings.simplefilter("always")  # show everything (torch 2.13's torch.jit.script deprecation
    from auknow.cli import main      # on importing torch-geometric too) unless the CLI hides it
    rc = main(["export", "fig2002", "--to", sys.argv[1], "--kind", "graph"])
    print("torch_geometric imported:", "torch_geometric" in sys.modules)
    raise SystemExit(rc)
""")


def test_cli_graph_export_prints_no_import_noise(tmp_path):
    # end to end in a fresh interpreter, so that torch-geometric's import-time warnings fire
    r = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "graph.pt")], capture_output=True,
                       text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr, r.stderr
    assert "torch_geometric imported: True" in r.stdout  # the import whose warnings are hidden
    assert (tmp_path / "graph.pt").stat().st_size > 0
