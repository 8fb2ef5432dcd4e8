"""auknow: facial-action (FACS AU) knowledge as editable, validated tables, compiled into the
priors, graphs and losses that deep facial-expression and AU models consume.

The names a user needs are here, imported on first use (PEP 562), so ``import auknow`` stays
fast and torch is loaded only when a model or loss is touched:

* knowledge tables: :func:`load_table`, :func:`save_table`, :func:`validate_paths`,
  :func:`load_bundled`, :func:`list_bundled`, :func:`bundled_catalog` (a DataFrame);
* compilation: :func:`compile_matrix`, :class:`PriorMatrix`, :func:`au_graph`, :func:`to_pyg`,
  :func:`to_data`, :func:`from_pyg`;
* estimation: :func:`estimate_prior` (an :class:`AUFrames` or a pandas DataFrame in,
  a :class:`PriorEstimate` out), :func:`read_dataset` and the readers;
* losses and heads: :class:`AULoss`, :class:`AUDFERLoss`, :class:`IntensityAwareLoss`,
  :class:`SmoothWeightedLoss`, :class:`PriorConsistencyLoss` (and their functional forms),
  :class:`PriorHead`;
* models: :class:`AUFeatureGenerator`, :class:`AURelationGNN`, :class:`GCABlock`, ...;
* the vocabulary: :data:`LABEL_SPACES`, :data:`AU_SPACES`, :data:`EDGE_KINDS`,
  :func:`resolve_aus`, :func:`resolve_expressions`.

>>> import auknow
>>> est = auknow.estimate_prior(auknow.read_ckplus(auknow.bundled_ckplus_path()), n_boot=0, n_perm=0)
>>> prior = est.to_matrix(expressions="dfew", aus="openface_c")  # DFEW's 7 classes x OpenFace's 18 AUs
>>> prior.shape
(7, 18)
"""

import importlib as _importlib  # private: dir(auknow) lists only what a user needs

__version__ = "0.1.0"

#: public name -> the module that defines it (imported on first attribute access).
_EXPORTS: dict[str, str] = {}


def _export(module: str, *names: str) -> None:
    for name in names:
        _EXPORTS[name] = module


_export("auknow.errors", "AuknowError", "DataError", "FacsCodeError", "LabelError", "TableError")
_export("auknow.vocabulary", "LABEL_SPACES", "AU_SPACES", "EDGE_KINDS", "resolve_aus", "resolve_expressions")
_export("auknow.facs", "parse_facs", "canonical_facs", "canonical_au")
_export("auknow.tables", "load_table", "read_table", "save_table", "validate_paths", "PrototypeTable",
        "QuantifiedTable", "RelationTable", "DatasetDescriptor")
_export("auknow.library", "load_bundled", "list_bundled", "bundled_catalog", "dataset_descriptor")
_export("auknow.compile", "compile_matrix", "combine_matrices", "PriorMatrix", "au_graph", "to_pyg", "to_data",
        "from_pyg", "dense_adjacency", "diff_tables", "CompileError", "GraphError")
_export("auknow.readers", "AUFrames", "read_dataset", "read_bp4d", "read_disfa", "read_ckplus", "read_tidy_csv",
        "read_openface", "read_pyfeat", "bundled_ckplus_path")
_export("auknow.estimate.prior", "estimate_prior", "PriorEstimate")
_export("auknow.losses", "au_loss", "AULoss", "au_dfer_loss", "AUDFERLoss", "intensity_aware_loss",
        "IntensityAwareLoss", "smooth_weighted_loss", "SmoothWeightedLoss", "prior_consistency_loss",
        "PriorConsistencyLoss", "implied_expression_logits", "pos_weight_from_data", "clip_au_targets")
_export("auknow.models.prior_head", "PriorHead", "PriorHeadOutput", "AUTerm", "IALTerm", "ConsistencyTerm")
_export("auknow.models", "AUFeatureGenerator", "AURelationGNN", "AURelationConv", "ExpressionAUGate", "GCABlock",
        "ExpressionEmbedding", "GlobalLocalFusion")

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'auknow' has no attribute '{name}'")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
