"""Atomic file writing: a crash or an error never leaves a half-written output file.

Files are written to a temporary file in the target's folder and moved into place with
``os.replace`` (atomic on POSIX). Without ``overwrite`` an existing target is never replaced:
the final step is ``os.link`` (fails if the target exists), so there is no check-then-write race.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from .errors import AuknowError


class OutputExistsError(AuknowError, FileExistsError):
    """The output exists and overwriting was not asked for.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_text_atomic(pathlib.Path(d) / "a.txt", "one")
    ...     try:
    ...         write_text_atomic(p, "two")
    ...     except OutputExistsError:
    ...         print("kept:", p.read_text())
    kept: one
    """


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None], overwrite: bool = False) -> Path:
    """Write a file atomically.

    Args:
        path: the target file.
        write: called with a temporary path in the same folder; it writes the whole content there.
        overwrite: replace an existing target (else raise :class:`OutputExistsError`).

    Returns:
        The target path.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_atomic(pathlib.Path(d) / "b.bin", lambda tmp: tmp.write_bytes(b"42"))
    ...     p.read_bytes()
    b'42'
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{target}: exists; not overwritten (ask for it with overwrite=True)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:  # name the file asked for, not the temporary one
        raise type(exc)(exc.errno, exc.strerror, str(target)) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        # mkstemp creates 0600; give the file the permissions an ordinary open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        if overwrite:
            os.replace(tmp_path, target)
        else:
            try:
                os.link(tmp_path, target)
            except FileExistsError:
                raise OutputExistsError(f"{target}: exists; not overwritten (ask for it with overwrite=True)") from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return target


def write_text_atomic(path: str | os.PathLike, text: str, overwrite: bool = False) -> Path:
    """Write UTF-8 text atomically (see :func:`write_atomic`).

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_text_atomic(pathlib.Path(d) / "a.txt", "one")
    ...     p = write_text_atomic(p, "two", overwrite=True)
    ...     p.read_text()
    'two'
    """
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"), overwrite=overwrite)


def publish_folder(staged: Path, out_dir: Path, overwrite: bool = False) -> list[Path]:
    """Move every file of a fully written staging folder into ``out_dir``.

    All conflicts are checked before anything moves, so either every file lands or none does
    (short of a crash between renames, where each file present is still whole).

    Raises:
        OutputExistsError: a file exists in ``out_dir`` and ``overwrite`` is false.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     staged, out = pathlib.Path(d) / "staged", pathlib.Path(d) / "out"
    ...     staged.mkdir()
    ...     _ = (staged / "x.csv").write_text("a,b")
    ...     [p.name for p in publish_folder(staged, out)], (out / "x.csv").read_text()
    (['x.csv'], 'a,b')
    """
    names = sorted(p.name for p in staged.iterdir())
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(f"{out_dir}: exists and is not a folder")
    if not overwrite:
        clash = [n for n in names if (out_dir / n).exists()]
        if clash:
            raise OutputExistsError(f"{out_dir}: already holds {', '.join(clash)}; not overwritten "
                                    "(ask for it with overwrite=True, or write elsewhere)")
    out_dir.mkdir(parents=True, exist_ok=True)
    moved = []
    for n in names:
        os.replace(staged / n, out_dir / n)
        moved.append(out_dir / n)
    shutil.rmtree(staged, ignore_errors=True)
    return moved
