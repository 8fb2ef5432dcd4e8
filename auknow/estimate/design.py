"""Can the resampling of ``estimate-prior`` vary on this data? And clips as independent units.

The p-values permute expression labels between a subject's own sequences, and the intervals
resample subjects. Both need the right design:

* the permutation changes nothing when no subject has sequences of two expressions (one
  sequence per subject, as when every detector file is its own subject, or data sets without
  subject ids such as DFEW): every p-value would be 1 whatever the data;
* the subject bootstrap needs at least 2 subjects.

:func:`check_design` says which of these holds; :func:`as_independent_clips` is the explicit
alternative for data without subjects: every sequence (clip) is its own cluster, the bootstrap
resamples clips and the permutation is unrestricted (labels shuffled over all clips). That is
valid only when clips are exchangeable, i.e. no person appears in two clips, or the
dependence between clips of one person is ignorable; otherwise intervals are too narrow and
p-values too small (Field & Welsh 2007, J. R. Stat. Soc. B 69(3), on cluster resampling).
"""

from __future__ import annotations

import numpy as np

from ..readers.frames import AUFrames

class ResamplingWarning(UserWarning):
    """The resampling cannot vary on this design (see :func:`check_design`).

    >>> issubclass(ResamplingWarning, UserWarning)
    True
    """


#: How the resampling reads with ``independent_clips=True`` (written into provenance).
CLIP_NULL = ("unrestricted permutation of expression labels between whole sequences (clips treated as "
             "independent units); two-sided test of the log odds ratio; p = (1 + #extreme) / (1 + n_perm)")
CLIP_BOOTSTRAP = "clip-level bootstrap (sequences resampled with replacement as independent units), percentile intervals"

HOW_TO_GIVE_SUBJECTS = ("give the subject of each file with labels=FILE (columns sequence or file, subject, "
                        "expression) or name_pattern='(?P<subject>[^_]+)_(?P<expression>\\w+)', or several "
                        "files / a folder with one subject each; if the clips are independent (no person in two "
                        "clips), say so with independent_clips=True")


def check_design(seq_subject: np.ndarray, seq_expression: np.ndarray, n_subjects: int) -> dict:
    """What the within-subject permutation and the subject bootstrap can do on this design.

    Args:
        seq_subject: ``[Q]`` subject index of each sequence.
        seq_expression: ``[Q]`` expression index (-1 unlabelled).
        n_subjects: S.

    Returns:
        ``{"subjects", "sequences", "sequences_per_subject_max", "permutable_sequences",
        "permutation_varies", "bootstrap_varies"}``: ``permutable_sequences`` counts labelled
        sequences of subjects that have labelled sequences of at least two expressions (only
        those can change label under the permutation).

    >>> d = check_design(np.array([0, 1, 2]), np.array([0, 1, 0]), 3)
    >>> d["permutation_varies"], d["bootstrap_varies"]
    (False, True)
    """
    seq_subject = np.asarray(seq_subject)
    seq_expression = np.asarray(seq_expression)
    labelled = seq_expression >= 0
    per_subject = np.bincount(seq_subject, minlength=n_subjects) if seq_subject.size else np.zeros(n_subjects)
    movable = 0
    if labelled.any():
        pairs = np.unique(np.stack([seq_subject[labelled], seq_expression[labelled]]), axis=1)
        kinds = np.bincount(pairs[0], minlength=n_subjects)  # distinct expressions per subject
        movable = int((kinds[seq_subject[labelled]] >= 2).sum())
    return {"subjects": int(n_subjects), "sequences": int(seq_subject.size),
            "sequences_per_subject_max": int(per_subject.max()) if per_subject.size else 0,
            "permutable_sequences": movable, "permutation_varies": movable > 0,
            "bootstrap_varies": n_subjects >= 2}


def design_warnings(design: dict, labelled: bool) -> list[str]:
    """The loud messages for a design where the resampling cannot vary (empty when it can).

    >>> one_each = check_design(np.array([0, 1, 2]), np.array([0, 1, 0]), 3)   # one sequence per subject
    >>> print(design_warnings(one_each, labelled=True)[0][:62])
    the within-subject permutation cannot change any label (every
    >>> design_warnings(check_design(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), 2), labelled=True)
    []
    """
    out = []
    if labelled and not design["permutation_varies"]:
        why = ("every subject has one sequence" if design["sequences_per_subject_max"] <= 1
               else "no subject has sequences of two expressions")
        out.append(f"the within-subject permutation cannot change any label ({why}: {design['subjects']} subjects, "
                   f"{design['sequences']} sequences), so no p-value can be computed (written as empty); "
                   + HOW_TO_GIVE_SUBJECTS)
    return out


def as_independent_clips(frames: AUFrames) -> tuple[AUFrames, np.ndarray]:
    """Frames whose subject is their sequence (each clip its own cluster).

    Returns the new frames and ``[N]`` the original subject of each row (to report real subject
    counts).

    >>> import numpy as np
    >>> f = AUFrames(aus=["AU12"], occurrence=[[1], [0]], subject=["p", "p"], sequence=["a", "b"], frame=[0, 0])
    >>> as_independent_clips(f)[0].subject.tolist()
    ['a', 'b']
    """
    original = frames.subject
    out = AUFrames(aus=frames.aus, occurrence=frames.occurrence, subject=frames.sequence, sequence=frames.sequence,
                   frame=frames.frame, expression=frames.expression, intensity=frames.intensity,
                   source=dict(frames.source))
    return out, original


def unrestricted_block(n_sequences: int) -> np.ndarray:
    """``[Q]`` all-zero block labels: a within-block permutation over one block is unrestricted.

    >>> unrestricted_block(3)
    array([0, 0, 0])
    """
    return np.zeros(n_sequences, dtype=np.int64)


def real_subject_counts(counts, sequence: np.ndarray, real_subject: np.ndarray) -> np.ndarray:
    """``[E, A]`` distinct real subjects behind each cell when clips are the resampling units.

    Args:
        counts: :class:`~auknow.estimate.statistics.Counts` of clip-as-subject frames.
        sequence, real_subject: ``[N]`` per row, the sequence id and the original subject id.

    >>> from auknow.estimate.statistics import count_units
    >>> from auknow.readers.frames import AUFrames
    >>> clips = AUFrames(aus=("AU06",), occurrence=[[1], [1], [0]], subject=["c1", "c2", "c3"],
    ...                  sequence=["c1", "c2", "c3"], frame=[0, 0, 0], expression=["happiness", "happiness", "sadness"])
    >>> real_subject_counts(count_units(clips), np.array(["c1", "c2", "c3"]), np.array(["P1", "P1", "P2"]))
    array([[1.],
           [1.]])
    """
    from .statistics import scatter_rows

    owner = dict(zip(sequence.tolist(), real_subject.tolist()))
    names, r = np.unique([owner[q] for q in counts.sequences], return_inverse=True)
    E = len(counts.expressions)
    ok = counts.seq_expression >= 0
    cell = r.reshape(-1)[ok] * E + counts.seq_expression[ok]
    seen = scatter_rows(cell, counts.seq_n[ok] > 0, len(names) * E).reshape(len(names), E, -1)
    return (seen > 0).sum(0).astype(float)
