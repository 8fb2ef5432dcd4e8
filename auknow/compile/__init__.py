"""Compile knowledge tables into prior matrices ``[E, A]`` and AU-relation graphs."""

from ._common import LABEL_SPACES, CompileError, resolve_aus, resolve_expressions, resolve_table
from .diff import MatrixDiff, diff_matrices, diff_tables
from .graph import EDGE_KINDS, EDGE_STATS, GraphError, au_graph, graph_to_table, load_graph, save_graph
from .graph_pyg import bipartite_data, bipartite_graph, bipartite_to_pyg, dense_adjacency, from_pyg, to_data, to_pyg
from ._common import MODES
from .consensus import combine, combine_matrices
from .matrix import compile_matrix
from .prior_matrix import PriorMatrix
from .sources import configuration_vector, table_matrix
from .transforms import normalize_columns, normalize_rows, softmax_rows
from .plot_graph import plot_graph, plot_prior, save_figure

__all__ = [
    "EDGE_KINDS", "EDGE_STATS", "LABEL_SPACES", "MODES", "CompileError", "GraphError", "MatrixDiff", "PriorMatrix",
    "au_graph", "bipartite_data", "bipartite_graph", "bipartite_to_pyg", "combine", "combine_matrices",
    "compile_matrix", "configuration_vector", "dense_adjacency", "diff_matrices", "diff_tables", "from_pyg",
    "graph_to_table", "load_graph", "normalize_columns", "normalize_rows", "plot_graph", "plot_prior",
    "resolve_aus", "resolve_expressions", "resolve_table", "save_figure", "save_graph", "softmax_rows",
    "table_matrix", "to_data", "to_pyg",
]
