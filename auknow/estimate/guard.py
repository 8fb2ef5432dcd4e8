"""Memory guard of ``estimate-prior``: estimate what ``--n-boot`` / ``--n-perm`` and the data
need before allocating, and refuse with the figure when it does not fit.

The estimate follows the arrays :func:`auknow.estimate.prior.estimate_prior` allocates (float64,
8 bytes a value; B resamples, P permutations, S subjects, Q sequences, E expressions, A AUs):

* bootstrap weights ``[B, S]`` (drawn as int64, kept as float64): ``16 B S``;
* bootstrap samples of the 5 expression statistics ``[B, E, A]`` and the 3 relation statistics
  ``[B, A, A]``, each concatenated and sorted once for the percentile interval: ``3 x 8 B (5 E A + 3 A A)``;
* permutations ``[P, Q]`` (random keys and their argsort): ``16 P Q``;
* per chunk of 100 permutations, the one-hot labels ``[100, Q, E]``: ``800 Q (E + 1)``.

It is an estimate of the dominant arrays (small ones such as the count tables are left out),
meant to refuse a run that cannot fit (``--n-boot 1000000000``), not an exact peak.
"""

from __future__ import annotations

import os

from ..errors import DataError

#: share of the available memory a run may plan to use
SHARE = 0.8


def resampling_bytes(n_subjects: int, n_sequences: int, n_expressions: int, n_aus: int,
                     n_boot: int, n_perm: int) -> int:
    """Bytes that the bootstrap and the permutation test need (see the module docstring).

    >>> resampling_bytes(100, 300, 7, 17, 1000, 1000) // 2**20  # MiB: 16*1000*100 + 24*1000*1462 + 16*1000*300 + 800*300*8 bytes
    41
    """
    S, Q, E, A, B, P = (int(x) for x in (n_subjects, n_sequences, n_expressions, n_aus, n_boot, n_perm))
    boot = 16 * B * S + 24 * B * (5 * E * A + 3 * A * A) if B else 0
    perm = 16 * P * Q + 800 * Q * (E + 1) if (P and E) else 0
    return boot + perm


def available_bytes() -> int | None:
    """Memory available to this process: ``AUKNOW_MAX_MEMORY`` (bytes, or with a K/M/G suffix)
    when set, else ``MemAvailable`` of ``/proc/meminfo``, else ``None`` (unknown: no guard).

    >>> import os
    >>> old = os.environ.get("AUKNOW_MAX_MEMORY")
    >>> os.environ["AUKNOW_MAX_MEMORY"] = "2G"
    >>> available_bytes()
    2147483648
    >>> _ = os.environ.pop("AUKNOW_MAX_MEMORY") if old is None else os.environ.update(AUKNOW_MAX_MEMORY=old)
    """
    limit = os.environ.get("AUKNOW_MAX_MEMORY")
    if limit:
        units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
        text = limit.strip().upper().rstrip("B").rstrip("I")
        mult = units.get(text[-1:], 1)
        try:
            return int(float(text.rstrip("KMGT")) * mult)
        except ValueError:
            raise DataError(f"AUKNOW_MAX_MEMORY={limit!r} is not a size such as 8G") from None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


def check_resampling_memory(n_subjects: int, n_sequences: int, n_expressions: int, n_aus: int,
                            n_boot: int, n_perm: int, available: int | None = None) -> int:
    """Refuse a run whose resampling would not fit in memory; returns the estimated bytes.

    Args:
        available: bytes available (default :func:`available_bytes`).

    Raises:
        DataError: the estimate exceeds :data:`SHARE` of the available memory; the message gives
            both figures and the largest ``--n-boot`` / ``--n-perm`` that would fit.

    >>> check_resampling_memory(100, 300, 7, 17, 1000, 1000, available=2**30) // 2**20
    41
    """
    need = resampling_bytes(n_subjects, n_sequences, n_expressions, n_aus, n_boot, n_perm)
    have = available_bytes() if available is None else available
    if have is None or need <= SHARE * have:
        return need
    budget = SHARE * have
    per_boot = 16 * n_subjects + 24 * (5 * n_expressions * n_aus + 3 * n_aus * n_aus)
    per_perm = 16 * n_sequences
    fixed_perm = 800 * n_sequences * (n_expressions + 1) if n_expressions else 0
    fit_boot = max(int(budget // max(per_boot, 1)), 0)
    fit_perm = max(int((budget - fixed_perm) // max(per_perm, 1)), 0) if n_expressions else 0
    raise DataError(
        f"n_boot={n_boot} / n_perm={n_perm} on {n_subjects} subjects, {n_sequences} sequences, "
        f"{n_expressions} expressions x {n_aus} AUs would need about {_size(need)} of memory; "
        f"{_size(have)} is available (alone, at most n_boot={fit_boot} or n_perm={fit_perm} fit); "
        "nothing was allocated")
