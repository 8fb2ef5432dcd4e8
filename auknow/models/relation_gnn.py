"""AU relation GNN: message passing over a knowledge AU graph, a learned top-k graph, or both.

Source: Luo et al., "Learning Multi-dimensional Edge Feature-based AU Relation Graph for Facial
Action Unit Recognition" (ME-GraphAU, IJCAI-ECAI 2022, arXiv 2205.01782), stage 1 "ANFL"
(AU-specific feature generator + facial graph generator + GNN + similarity classifier);
repository CVI-SZU/ME-GraphAU, ``model/ANFL.py`` (``GNN``, ``Head``) and ``model/graph.py``
(``normalize_digraph``). The ANFL layer is (N AUs, node features X in R^{N x C})::

    S   = X X^T                      (metric "dots"; "cosine" normalizes X first; X detached)
    A   = [S_ij >= k-th largest of row i]          (top-k neighbours of each AU, K=4 BP4D, 3 DISFA)
    Â   = D^-1/2 A D^-1/2             (D = row sums of A)
    X'  = ReLU(X + BN_N(Â V(X) + U(X)))            (BN over the node axis, one per AU)
    p_i = cos(x'_i, ReLU(s_i))        (s in R^{N x C} learned AU prototypes; p in [0, 1])

What auknow changes, and why:

* The graph can be the **knowledge graph** compiled from AU knowledge (``auknow.compile``:
  ``to_pyg(graph) -> (edge_index [2, M], edge_weight [M], edge_type [M])``, edge types
  indexing ``auknow.vocabulary.EDGE_KINDS``: 0 co-occurrence, 1 mutually
  exclusive, 2 hierarchy, 3 self loop), the **learned** top-k similarity graph of ANFL, or
  **both**. Each relation (each knowledge edge type, and the learned graph) is normalized on
  its own (R-GCN style: Â_r = D_r^-1/2 A_r D_r^-1/2) and has its own weight matrix V_r
  (``exclusive="separate"``), or all knowledge edges share V_0 and exclusive edges send
  negated messages (``exclusive="signed"``: inhibition). ME-GraphAU has one untyped learned
  relation.
* Implemented on ``torch_geometric.nn.MessagePassing`` over the batch of B graphs of A nodes
  (node ``b * A + i``), with no Python loop over the batch; all V_r are one stacked linear map
  (one GEMM instead of R). ``propagate`` gets the relational adjacency as a sparse
  ``adj_t [B*A, B*A*R]``; the fused ``message_and_aggregate`` sums the messages of all
  relations either as B per-sample dense ``[A, A*R]`` products (``aggregation="dense"``,
  default: ANFL's own ``bmm``, the fastest for tens of AUs) or as one CSR product
  (``"sparse"``); both give the same result.
* Top-k keeps exactly k neighbours per AU (``torch.topk`` indices); ME-GraphAU's ``S >= kth``
  threshold also keeps ties, which only differs when similarities tie exactly.
* For an edge j -> i, Â_ij = w_ij d_i^-1/2 d_j^-1/2 with d the weighted in-degree within the
  relation (ME-GraphAU's row sum). A source node with no in-edges in that relation uses d_j = 1
  (ME-GraphAU's top-k graph never has one; its formula would give inf).
* ``num_layers`` layers (ANFL has 1); the learned graph is rebuilt from each layer's input.
* ``norm``: ``"node"`` is ANFL's BatchNorm1d over the AU axis; ``"feature"`` (BatchNorm over
  channels, shared by all AUs), ``"layer"`` and ``"none"`` are added.
* ``head``: ``"prototype"`` is ANFL's similarity classifier; ``"linear"`` (per-AU logits, use
  with ``BCEWithLogitsLoss``) and ``"none"`` (node features) are added.
"""

from __future__ import annotations

import copy
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import LabelError
from ..vocabulary import EDGE_KINDS, au_identities, check_same_order, labels_of
from .relation_conv import AURelationConv
from .relation_graph import (EDGE_COOCCURRENCE, EDGE_EXCLUSIVE, EDGE_HIERARCHY, EDGE_SELF,  # noqa: F401 (re-exported)
                             NUM_EDGE_TYPES, GraphLike, TypedGraph, as_typed_graph, batch_graph, check_node_features,
                             edge_type_index, relation_adjacency, relation_norm, sparse_csr, topk_similar_aus,
                             topk_similarity_graph)

__all__ = [
    "EDGE_COOCCURRENCE",
    "EDGE_EXCLUSIVE",
    "EDGE_HIERARCHY",
    "EDGE_SELF",
    "NUM_EDGE_TYPES",
    "as_typed_graph",
    "batch_graph",
    "topk_similarity_graph",
    "relation_norm",
    "relation_adjacency",
    "AURelationConv",
    "AURelationGNN",
]


class AURelationGNN(nn.Module):
    """AU relation GNN (ME-GraphAU ANFL's graph part and classifier) with knowledge graphs.

    Input ``x [B, A, D]``: one feature per AU and sample (e.g. from
    :class:`~auknow.models.AUFeatureGenerator`). Output ``[B, A]``:

    * ``head="prototype"``: cosine similarity of each AU's node feature to a learned AU
      prototype, ``p_i = cos(x'_i, ReLU(s_i))`` in ``[0, 1]`` (ME-GraphAU: threshold 0.5, trained
      with a weighted BCE on p directly, no sigmoid);
    * ``head="linear"``: per-AU logits ``x'_i . w_i + b_i`` (real, for ``BCEWithLogitsLoss``);
    * ``head="none"``: the node features ``[B, A, D]`` (>= 0).

    Graphs (``graph=``): ``"knowledge"`` (fixed, from ``knowledge=``), ``"learned"`` (ANFL's
    top-k similarity graph, rebuilt per sample and layer), or ``"both"`` (relations: the
    knowledge edge types, then the learned graph). ``forward(x, knowledge=...)`` overrides the
    stored knowledge graph for one call (same forms as the constructor, e.g. an ablation
    without edges: ``knowledge=None`` is *not* an override, pass an empty edge list).

    Args:
        aus: the AUs, in the order of ``x``'s axis 1: an AU set name (``"bp4d"``), a list of
            AU names / FACS numbers, or a bare count A >= 1 (anonymous AUs; a labelled
            knowledge graph then names them). ``.aus`` holds the canonical names.
        dim: D >= 1 (ME-GraphAU: 512).
        graph: ``"knowledge"`` | ``"learned"`` | ``"both"``; default ``"knowledge"`` when
            ``knowledge`` is given, else ``"learned"``. ``"learned"`` with ``knowledge`` raises:
            knowledge given is never dropped.
        knowledge: the knowledge graph: the networkx graph of ``auknow.compile.au_graph``
            (put in ``aus`` order by name), ``auknow.compile.to_data(...)`` (its ``.aus`` must
            equal ``aus``), or an unlabelled form :func:`as_typed_graph` takes (``to_pyg``
            triple, dense signed ``[A, A]`` or typed ``[R, A, A]``), taken in ``aus`` order as
            given. Required unless ``graph="learned"``.
        k: top-k neighbours of the learned graph (ME-GraphAU: 4 BP4D, 3 DISFA).
        metric: similarity of the learned graph, ``"dots"`` (ME-GraphAU default) or ``"cosine"``.
        exclusive: ``"separate"``: every knowledge edge type in ``edge_types`` has its own V_r
            (so exclusive edges are learned apart from co-occurrence edges); ``"signed"``: all
            knowledge edges share one V and exclusive edges send negated messages.
        edge_types: the knowledge edge types (indices or names of :data:`EDGE_KINDS`) that get
            a relation; default: the types present in ``knowledge``. A forward-time graph with
            another type raises ValueError.
        num_layers: GNN layers (ANFL: 1).
        norm: see :class:`AURelationConv` (``"node"`` = ANFL).
        normalization: per-relation edge normalization for the knowledge graph, see
            :func:`relation_norm` (``"sym"`` = ANFL; use ``"none"`` for weights that
            ``to_pyg(normalize=...)`` already normalized). The learned graph always uses 1/k
            (what ANFL's ``normalize_digraph`` gives for exactly k neighbours).
        head: ``"prototype"`` | ``"linear"`` | ``"none"``.
        aggregation: how :class:`AURelationConv`'s fused ``message_and_aggregate`` sums the
            messages: ``"dense"``, B per-sample ``[A, A*R]`` products (fastest for AU graphs);
            ``"sparse"``, one CSR product over the batch. Same result.

    Raises:
        ValueError: bad argument values or graph shapes; at forward, x not ``[B, A, D]``.
        LabelError: a labelled knowledge graph (or, at ``load_state_dict``, a saved state) in
            another AU order; an edge type of a loaded graph without a relation here raises
            ValueError instead of being routed to another relation.

    ``state_dict`` carries the graph (``edge_index``, ``edge_weight``, ``edge_type``) and, as
    extra state, the AU order; both are checked on load. The stored graph's normalized
    adjacency is built once per batch size, device and dtype, not at every forward.

    >>> import torch
    >>> from auknow.compile import au_graph
    >>> g = au_graph("fig2002", aus="bp4d")
    >>> gnn = AURelationGNN("bp4d", 16, knowledge=g, head="linear")
    >>> gnn.graph, gnn(torch.rand(2, 12, 16)).shape
    ('knowledge', torch.Size([2, 12]))

    A relation whose edges are absent in a forward call gets no gradient from it. The module
    is equivariant to relabelling the AUs: ``m.permute_aus(p)(x[:, p]) == m(x)[:, p]`` (with
    the graph relabelled the same way).
    """

    def __init__(self, aus: Union[int, str, Sequence[Union[int, str]]], dim: int, graph: Optional[str] = None,
                 knowledge: GraphLike = None, k: int = 4, metric: str = "dots", exclusive: str = "separate",
                 edge_types: Optional[Sequence[Union[int, str]]] = None, num_layers: int = 1,
                 norm: str = "node", normalization: str = "sym", head: str = "prototype",
                 aggregation: str = "dense"):
        super().__init__()
        names, num_aus = au_identities(aus)
        graph = _check_options(graph, knowledge, dim, num_layers, exclusive, metric, normalization, head, aggregation)
        self.aggregation = aggregation
        self.num_aus, self.dim, self.graph, self.k, self.metric = num_aus, dim, graph, k, metric
        self.aus: Optional[Tuple[str, ...]] = names
        self.exclusive, self.normalization, self.head_kind = exclusive, normalization, head
        self.use_knowledge = graph in ("knowledge", "both")
        self.use_learned = graph in ("learned", "both")
        if self.use_learned and not 1 <= k <= num_aus:
            raise ValueError(f"k (neighbours per AU) must be in [1, {num_aus}], got {k}")
        if self.use_knowledge and knowledge is None:
            raise ValueError(f"graph={graph!r} needs a knowledge graph (knowledge=auknow.compile.au_graph(...), "
                             "to_data(...), the to_pyg triple or a dense [A, A] adjacency)")
        ei, w, t = self._typed(knowledge if self.use_knowledge else None, adopt=True)
        # Weight slots: the knowledge edge types' (type_slot[type] = slot, -1: no relation), then the learned graph's.
        type_slot, n_slots = _knowledge_slots(t, edge_types, exclusive) if self.use_knowledge else \
            (torch.full((NUM_EDGE_TYPES,), -1, dtype=torch.long), 0)
        self.learned_slot = n_slots if self.use_learned else -1
        n_slots += int(self.use_learned)
        self.num_relations = n_slots
        self.register_buffer("type_slot", type_slot, persistent=False)
        self.register_buffer("edge_index", ei, persistent=True)
        self.register_buffer("edge_weight", w, persistent=True)
        self.register_buffer("edge_type", t, persistent=True)
        # The stored graph's normalized coefficients and relation slots: computed once, rebuilt
        # when the graph changes (load_state_dict, permute_aus), moved by .to() as buffers.
        self.register_buffer("_coef", torch.zeros(0), persistent=False)
        self.register_buffer("_slot", torch.zeros(0, dtype=torch.long), persistent=False)
        self._adj_cache: dict = {}
        self.layers = nn.ModuleList(AURelationConv(dim, num_aus, n_slots, norm, aggregation)
                                    for _ in range(num_layers))
        if head == "prototype":
            self.prototypes = nn.Parameter(torch.empty(num_aus, dim))
        elif head == "linear":
            self.weight = nn.Parameter(torch.empty(num_aus, dim))
            self.bias = nn.Parameter(torch.zeros(num_aus))
        self._reset_head()  # the layers initialised themselves
        self._refresh_knowledge()
        self.register_load_state_dict_post_hook(lambda module, incompatible: module._refresh_knowledge())

    def reset_parameters(self) -> None:
        """Re-initialise every layer and the head (ANFL's init; prototypes Xavier-uniform)."""
        for layer in self.layers:
            layer.reset_parameters()
        self._reset_head()

    def _reset_head(self) -> None:
        if self.head_kind == "prototype":
            nn.init.xavier_uniform_(self.prototypes)
        elif self.head_kind == "linear":
            nn.init.uniform_(self.weight, -1.0 / math.sqrt(self.dim), 1.0 / math.sqrt(self.dim))
            nn.init.zeros_(self.bias)

    # -- labels ------------------------------------------------------------------------------
    def _typed(self, graph: GraphLike, adopt: bool = False, device: Optional[torch.device] = None) -> TypedGraph:
        """The canonical typed edge list of a knowledge graph in this module's AU order.

        A networkx graph (``auknow.compile.au_graph``) is put in the module's AU order by name;
        a ``Data`` carrying ``aus`` (``auknow.compile.to_data``) must be in that order already;
        an unlabelled edge list or dense adjacency is taken as given. A module built with a bare
        count adopts the graph's AU names (``adopt``).
        """
        given = None
        if graph is not None and hasattr(graph, "nodes") and hasattr(graph, "graph") and \
                not isinstance(graph, (tuple, list, Tensor)):
            from ..compile.graph_pyg import to_pyg  # networkx graph -> edge list by AU name

            given = labels_of(graph, "aus")
            order = self.aus if self.aus is not None else given
            graph = to_pyg(graph, aus=list(order), device=device)
            given = tuple(order)
        elif graph is not None and not isinstance(graph, (tuple, list, Tensor)):
            given = labels_of(graph, "aus")
            check_same_order(self.aus, given, kind="aus", what="the knowledge graph")
        if given is not None and self.aus is None:
            if len(given) != self.num_aus:
                raise LabelError(f"the knowledge graph has {len(given)} AUs ({','.join(given)}), this GNN {self.num_aus}")
            if adopt:
                self.aus = tuple(given)
        return as_typed_graph(self.num_aus, graph, device=device)

    def get_extra_state(self) -> dict:
        """Saved with ``state_dict``: the AU order and the edge kinds the edge types index."""
        return {"aus": list(self.aus) if self.aus is not None else None, "edge_kinds": list(EDGE_KINDS)}

    def set_extra_state(self, state: dict) -> None:
        """Check a loaded state's AU order and edge kinds against this module's (LabelError)."""
        if not isinstance(state, dict):
            return
        saved = tuple(state["aus"]) if state.get("aus") is not None else None
        check_same_order(self.aus, saved, kind="aus", what="the loaded state")
        kinds = state.get("edge_kinds")
        if kinds is not None and tuple(kinds) != EDGE_KINDS:
            raise LabelError(f"the loaded state indexes edge kinds {kinds}, this version {list(EDGE_KINDS)}")

    def _refresh_knowledge(self) -> None:
        """Check the stored graph's edge types against the relations and cache its coefficients."""
        self._adj_cache = {}
        t = self.edge_type
        if not self.use_knowledge:
            if t.numel():
                raise ValueError("this GNN uses graph='learned' but the loaded state holds knowledge edges")
            return
        self._coef, self._slot = self._coefficients(self.edge_index, self.edge_weight, t)

    def _coefficients(self, ei: Tensor, w: Tensor, t: Tensor) -> Tuple[Tensor, Tensor]:
        """``(coef [M], relation slot [M])`` of a typed graph; ValueError for an edge type without a relation."""
        slot = self.type_slot.to(t.device)[t]
        if t.numel() and bool((slot < 0).any()):
            bad = sorted({EDGE_KINDS[i] for i in t[slot < 0].tolist()})
            raise ValueError(f"the knowledge graph holds edge types {bad} without a relation in this GNN "
                             f"(built for {[EDGE_KINDS[i] for i in range(NUM_EDGE_TYPES) if self.type_slot[i] >= 0]}); "
                             "build the GNN with edge_types=... covering them")
        coef = relation_norm(ei, w.to(t.device), t, self.num_aus, NUM_EDGE_TYPES, self.normalization)
        if self.exclusive == "signed":
            coef = torch.where(t == EDGE_EXCLUSIVE, -coef, coef)
        return coef, slot

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # A knowledge graph is data: a saved graph of another size replaces the stored one (its
        # edge types are then checked against the relations by the post hook).
        for name in ("edge_index", "edge_weight", "edge_type"):
            saved, own = state_dict.get(prefix + name), getattr(self, name)
            if isinstance(saved, Tensor) and saved.shape != own.shape:
                setattr(self, name, torch.empty(saved.shape, dtype=own.dtype, device=own.device))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def __getstate__(self):  # copy.deepcopy / pickle: the cached sparse adjacencies are rebuilt
        state = self.__dict__.copy()
        state["_adj_cache"] = {}
        return state

    def _apply(self, fn, *args, **kwargs):  # .to() / .cuda() / .half(): cached adjacencies are stale
        out = super()._apply(fn, *args, **kwargs)
        self._refresh_knowledge()  # coefficients in the new dtype, from the converted weights
        return out

    # -- graph assembly ---------------------------------------------------------------------
    def _knowledge_edges(self, batch: int, graph: GraphLike, device: torch.device):
        if graph is None:
            return batch_graph(self.edge_index, self.num_aus, batch, self._coef, self._slot)
        ei, w, t = self._typed(graph, device=device)
        coef, slot = self._coefficients(ei, w, t)
        return batch_graph(ei, self.num_aus, batch, coef, slot)

    def _fixed_adjacency(self, b: int, x: Tensor) -> Tensor:
        """The stored knowledge graph's ``adj_t`` for batch size b, built once per (b, device, dtype)."""
        key = (b, x.device, x.dtype)
        adj_t = self._adj_cache.get(key)
        if adj_t is None:
            k_ei, k_coef, k_slot = self._knowledge_edges(b, None, x.device)
            adj_t = relation_adjacency(k_ei, k_coef.to(x.dtype), k_slot, b * self.num_aus, self.num_relations)
            if len(self._adj_cache) >= 8:
                self._adj_cache.clear()
            self._adj_cache[key] = adj_t
        return adj_t

    def forward(self, x: Tensor, knowledge: GraphLike = None) -> Tensor:
        """Scores ``[B, A]`` (or node features ``[B, A, D]`` with ``head="none"``).

        Args:
            x: ``[B, A, D]`` float, AUs in this module's order (``.aus``).
            knowledge: optional knowledge graph for this call (any form the constructor takes;
                a labelled one must match ``.aus``).

        Raises:
            ValueError: x not ``[B, A, D]``; a malformed knowledge graph.
            LabelError: a labelled knowledge graph in another AU order.
        """
        check_node_features(x, self.num_aus, self.dim)
        b, a = x.shape[0], self.num_aus
        n, r = b * a, self.num_relations
        if knowledge is not None and not self.use_knowledge:
            raise ValueError(f"a knowledge graph was given but this GNN uses graph={self.graph!r}")
        if self.use_knowledge:
            if knowledge is None and not self.use_learned:
                adj_t = self._fixed_adjacency(b, x)  # fixed: the same for every layer and call
            else:
                k_ei, k_coef, k_slot = self._knowledge_edges(b, knowledge, x.device)
                k_coef = k_coef.to(x.dtype)
                if not self.use_learned:
                    adj_t = relation_adjacency(k_ei, k_coef, k_slot, n, r)
        for layer in self.layers:
            if self.use_learned:
                idx = topk_similar_aus(x, self.k, self.metric)  # [B, A, k], ascending
                base = torch.arange(b, device=x.device).mul_(a).view(b, 1, 1)
                col = (idx + base).reshape(-1) * r + self.learned_slot
                if self.use_knowledge:
                    l_ei = torch.stack([col // r, torch.arange(n, device=x.device).repeat_interleave(self.k)])
                    adj_t = relation_adjacency(
                        torch.cat([k_ei, l_ei], 1),
                        torch.cat([k_coef, x.new_full((l_ei.shape[1],), 1.0 / self.k)]),
                        torch.cat([k_slot, torch.full_like(col, self.learned_slot)]), n, r)
                else:  # exactly k sorted entries per target row: build the CSR directly
                    crow = torch.arange(0, n * self.k + 1, self.k, device=x.device)
                    adj_t = sparse_csr(crow, col, x.new_full((col.shape[0],), 1.0 / self.k), (n, n * r))
            x = layer(x, adj_t, per_sample=True)  # every graph here is per sample
        return self.head(x)

    def head(self, x: Tensor) -> Tensor:
        """Apply the output head to node features ``[B, A, D]`` (see the class docstring)."""
        if self.head_kind == "prototype":
            proto = F.normalize(F.relu(self.prototypes), p=2.0, dim=-1)
            return (F.normalize(x, p=2.0, dim=-1) * proto).sum(-1)
        if self.head_kind == "linear":
            return (x * self.weight).sum(-1) + self.bias
        return x

    # -- relabelling -------------------------------------------------------------------------
    def permute_aus(self, perm: Sequence[int] | Tensor) -> "AURelationGNN":
        """A copy whose AU i is this module's AU ``perm[i]`` (graph and per-AU parameters moved).

        ``m.permute_aus(perm)(x[:, perm]) == m(x)[:, perm]``; use it to reorder a trained
        model to another dataset's AU order.

        Raises:
            ValueError: perm is not a permutation of ``range(A)``.
        """
        perm = torch.as_tensor(perm, dtype=torch.long, device="cpu").view(-1)
        if perm.numel() != self.num_aus or not torch.equal(perm.sort().values, torch.arange(self.num_aus)):
            raise ValueError(f"perm must be a permutation of range({self.num_aus}), got {perm.tolist()}")
        new = copy.deepcopy(self)
        inv = torch.empty_like(perm)
        inv[perm] = torch.arange(self.num_aus)
        dev = self.edge_index.device
        new.edge_index = inv.to(dev)[self.edge_index]
        if self.aus is not None:
            new.aus = tuple(self.aus[i] for i in perm.tolist())
        new._refresh_knowledge()
        p = perm.to(dev)
        with torch.no_grad():
            for layer in new.layers:
                if layer.norm_kind == "node":
                    for name in ("weight", "bias", "running_mean", "running_var"):
                        t = getattr(layer.norm, name)
                        if t is not None:
                            t.copy_(t[p.to(t.device)])
            for name in ("prototypes", "weight", "bias"):
                t = getattr(new, name, None)
                if isinstance(t, nn.Parameter):
                    t.copy_(t[p.to(t.device)])
        return new

    def extra_repr(self) -> str:  # noqa: D102
        aus = f"aus={','.join(self.aus)}, " if self.aus is not None else ""
        return (f"{aus}num_aus={self.num_aus}, dim={self.dim}, graph={self.graph!r}, k={self.k}, "
                f"metric={self.metric!r}, exclusive={self.exclusive!r}, head={self.head_kind!r}, "
                f"knowledge_edges={self.edge_index.shape[1]}")


def _check_options(graph: Optional[str], knowledge: GraphLike, dim: int, num_layers: int, exclusive: str, metric: str,
                   normalization: str, head: str, aggregation: str) -> str:
    """The graph kind of :class:`AURelationGNN` (default: ``"knowledge"`` when knowledge is given, else
    ``"learned"``); ValueError for a bad option."""
    if graph is None:  # knowledge given is used, never dropped
        graph = "learned" if knowledge is None else "knowledge"
    if dim < 1 or num_layers < 1:
        raise ValueError(f"dim and num_layers must be >= 1, got {dim}, {num_layers}")
    if graph not in ("knowledge", "learned", "both"):
        raise ValueError(f"graph must be 'knowledge', 'learned' or 'both', got {graph!r}")
    if graph == "learned" and knowledge is not None:
        raise ValueError("knowledge was given but graph='learned' would ignore it: use graph='knowledge' "
                         "or 'both' (or leave graph unset), or drop knowledge=")
    if exclusive not in ("separate", "signed"):
        raise ValueError(f"exclusive must be 'separate' or 'signed', got {exclusive!r}")
    if metric not in ("dots", "cosine"):
        raise ValueError(f"metric must be 'dots' or 'cosine', got {metric!r}")
    if normalization not in ("sym", "mean", "none"):
        raise ValueError(f"normalization must be 'sym', 'mean' or 'none', got {normalization!r}")
    if head not in ("prototype", "linear", "none"):
        raise ValueError(f"head must be 'prototype', 'linear' or 'none', got {head!r}")
    if aggregation not in ("dense", "sparse"):
        raise ValueError(f"aggregation must be 'dense' or 'sparse', got {aggregation!r}")
    return graph


def _knowledge_slots(edge_type: Tensor, edge_types: Optional[Sequence[Union[int, str]]],
                     exclusive: str) -> Tuple[Tensor, int]:
    """``(type_slot [NUM_EDGE_TYPES] long, number of knowledge slots)``: the weight slot of each knowledge
    edge type, one per type in ``edge_types`` (default: the types of ``edge_type``) under
    ``"separate"``, one shared under ``"signed"``; -1 for a type without a relation."""
    type_slot = torch.full((NUM_EDGE_TYPES,), -1, dtype=torch.long)
    types = sorted(set(edge_type.tolist()) or {EDGE_COOCCURRENCE}) if edge_types is None else \
        sorted({edge_type_index(e) for e in edge_types})
    if not types:
        raise ValueError("edge_types is empty")
    missing = sorted(set(edge_type.tolist()) - set(types))
    if missing:
        raise ValueError(f"the knowledge graph holds edge types {[EDGE_KINDS[i] for i in missing]} "
                         f"that edge_types={list(edge_types)} leaves out")
    if exclusive == "separate":
        type_slot[types] = torch.arange(len(types))
        return type_slot, len(types)
    type_slot[types] = 0
    return type_slot, 1
