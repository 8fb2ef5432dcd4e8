"""Sessions for nox (https://nox.thea.codes): ``pip install nox``, then ``nox -s NAME``.

- ``tests``: the newest releases pip resolves, ``pip install -e ".[test]"``, then pytest.
- ``tests-oldest``: every lower bound of pyproject.toml, pinned by
  ``.ci/constraints-oldest.txt``; the result, versions and download size are in docs/install.md.
- ``wheel``: ``python -m build`` (sdist, then the wheel built from that sdist), the wheel
  installed (not editable) in a fresh virtual environment, then ``auknow estimate-prior`` on the
  bundled CK+ data and ``auknow validate`` on the installed knowledge tables, run from outside
  the source tree so that nothing is imported from it.

Arguments after ``--`` go to pytest (``tests``, ``tests-oldest``) or, for ``wheel``, are extra
requirements installed beside the wheel: ``nox -s wheel -- "torch==2.13.0"`` (what .ci/run does,
so that the torch build already on the machine is reused).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.sessions = ["tests", "wheel"]


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite on the newest releases pip resolves."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session(name="tests-oldest")
def tests_oldest(session: nox.Session) -> None:
    """The test suite on every lower bound (``.ci/constraints-oldest.txt``)."""
    session.install("-c", ".ci/constraints-oldest.txt", "-e", ".[test]")
    session.run("python", "-m", "pip", "list", "--format=freeze", silent=False)
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session
def wheel(session: nox.Session) -> None:
    """Build sdist + wheel, install the wheel in a fresh venv, run the CLI from outside the tree."""
    session.install("build")
    tmp = Path(session.create_tmp()).resolve()
    dist, env, work = tmp / "dist", tmp / "env", tmp / "work"
    for p in (dist, env, work):
        shutil.rmtree(p, ignore_errors=True)
    work.mkdir()
    session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT))
    wheels = sorted(dist.glob("auknow-*.whl"))
    if len(wheels) != 1 or not list(dist.glob("auknow-*.tar.gz")):
        session.error(f"expected one wheel and one sdist in {dist}, found {sorted(dist.iterdir())}")
    session.run(sys.executable, "-m", "venv", str(env), external=True)
    bindir = env / ("Scripts" if sys.platform == "win32" else "bin")
    py, auknow = str(bindir / "python"), str(bindir / "auknow")
    session.run(py, "-m", "pip", "install", "-q", str(wheels[0]), *session.posargs, external=True)
    session.chdir(work)
    knowledge = session.run(
        py, "-c",
        "import auknow, auknow.knowledge as k, pathlib, sys; env = pathlib.Path(sys.argv[1]);"
        " assert env in pathlib.Path(auknow.__file__).resolve().parents, auknow.__file__;"
        " print(pathlib.Path(k.__file__).parent)",
        str(env), external=True, silent=True,
    ).strip().splitlines()[-1]
    session.run(auknow, "estimate-prior", "--out", "out/ckplus", "--force", "--plot", external=True)
    for name in ("prior.yaml", "relations.yaml", "statistics.csv", "heatmap.png"):
        path = work / "out" / "ckplus" / name
        if not (path.is_file() and path.stat().st_size):
            session.error(f"estimate-prior wrote an empty {name}")
    session.run(auknow, "validate", knowledge, "out/ckplus/prior.yaml", "out/ckplus/relations.yaml",
                external=True)
