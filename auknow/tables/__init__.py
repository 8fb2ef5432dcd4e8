"""Knowledge tables: the model, the YAML format (schema 1), loading with precise errors, saving."""

from .io import dumps_table, iter_table_files, load_table, read_table, save_table, table_to_dict, validate_paths
from .model import (Citation, Configuration, DatasetDescriptor, PrototypeTable, Provenance, QuantifiedTable,
                    Relation, RelationTable, Statistic, Table, Task, Weight)

__all__ = [
    "Citation", "Configuration", "DatasetDescriptor", "PrototypeTable", "Provenance", "QuantifiedTable",
    "Relation", "RelationTable", "Statistic", "Table", "Task", "Weight", "dumps_table", "iter_table_files",
    "load_table", "read_table", "save_table", "table_to_dict", "validate_paths",
]
