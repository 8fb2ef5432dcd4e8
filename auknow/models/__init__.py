"""Model building blocks: GNN local-AU feature modules and the seed papers' blocks.

* :class:`AUFeatureGenerator` (``au_features``): backbone map ``[B, C, H, W]`` / frame maps
  ``[B, T, C, H, W]`` -> per-AU features ``[B, A, D]`` (ME-GraphAU's AFG with attention pooling
  and FACS-region / landmark masks).
* :class:`AURelationGNN` (``relation_gnn``): message passing over the knowledge AU graph
  (``auknow.compile.to_pyg``), a learned top-k similarity graph (ME-GraphAU ANFL) or both, with
  typed co-occurrence / exclusive edges; prototype-similarity or linear per-AU outputs.
* :class:`ExpressionAUGate` (``attention_gate``): expression <-> AU gated exchange (Liu et al.
  ICSPS 2021, stand-in formulas).
* :class:`GCABlock` (``gca``): global convolution-attention ResNet basic block (IAL, AAAI 2023).
* :class:`ExpressionEmbedding`, :func:`expression_triplet_loss`, :class:`GlobalLocalFusion`
  (``glee``): global expression embedding with an FEC-style triplet loss (GLEE-Net, An et al.).

* :class:`PriorHead` (``prior_head``): any backbone + pooling + expression / AU heads + the
  prior losses, with one object per loss term (:class:`AUTerm`, :class:`IALTerm`,
  :class:`ConsistencyTerm`).

Shapes, sources and changes from the sources: ``docs/modules.md`` and each module's docstring.
"""

from .attention_gate import ExpressionAUGate
from .au_features import LANDMARK_GROUPS_68, REGION_BANDS, AUFeatureGenerator, landmark_masks, region_masks
from .gca import GCABlock, GlobalDepthwiseConv
from .prior_head import AUTerm, ConsistencyTerm, IALTerm, PriorHead, PriorHeadOutput
from .glee import ExpressionEmbedding, GlobalLocalFusion, expression_triplet_loss, triplet_agreement
from .relation_gnn import (EDGE_COOCCURRENCE, EDGE_EXCLUSIVE, NUM_EDGE_TYPES, AURelationConv, AURelationGNN,
                           as_typed_graph, batch_graph, relation_adjacency, relation_norm, topk_similarity_graph)

__all__ = [
    "PriorHead", "PriorHeadOutput", "AUTerm", "IALTerm", "ConsistencyTerm",
    "AUFeatureGenerator", "region_masks", "landmark_masks", "REGION_BANDS", "LANDMARK_GROUPS_68",
    "AURelationGNN", "AURelationConv", "as_typed_graph", "batch_graph", "relation_adjacency", "relation_norm",
    "topk_similarity_graph", "EDGE_COOCCURRENCE", "EDGE_EXCLUSIVE", "NUM_EDGE_TYPES",
    "ExpressionAUGate",
    "GCABlock", "GlobalDepthwiseConv",
    "ExpressionEmbedding", "expression_triplet_loss", "triplet_agreement", "GlobalLocalFusion",
]
