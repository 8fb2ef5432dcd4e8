"""Expression-AU attention gate: gated exchange between an expression stream and an AU stream.

Source: Liu et al., "Expression-assisted facial action unit detection through an attention
mechanism and smooth class-weighted loss", Proc. SPIE 12171 (ICSPS 2021), 121710R. Only the
abstract is public: expression recognition (FER) and AU detection are trained jointly, and an
"attention gate unit between the two tasks" lets each "flexibly select valuable information
from each other" (BP4D avg F1 63.5, +3.2 over the single-task baseline). The paper gives no
formula that could be found, so this module is a **stand-in** built from public gated-fusion
designs (sigmoid-gated cross-task residual fusion, e.g. ``f' = f + sigmoid(W_g [f; m]) * m``),
not a reproduction:

* expression -> AU: each AU i receives ``m_i = W_ea e`` and updates
  ``u_i' = u_i + g_i * m_i`` with the gate ``g_i = sigmoid(W_ga [u_i; m_i] + b_i)`` (shared
  weights, per-AU bias b_i);
* AU -> expression: the expression feature attends over the AUs (scaled dot-product,
  ``alpha = softmax_i(q(e) . k(u_i) / sqrt(H))``), reads ``m = sum_i alpha_i v(u_i)`` and updates
  ``e' = e + g * m`` with ``g = sigmoid(W_ge [e; m])``.

Both directions read the *input* features (a simultaneous exchange, order-free).
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn

__all__ = ["ExpressionAUGate"]


class ExpressionAUGate(nn.Module):
    """Two-way gated exchange between an expression feature and AU features.

    Shapes:
        ``forward(expr, au)``: ``expr [B, E]``; ``au [B, A, D]`` (per-AU features) or ``[B, D]``
        (one AU-stream vector, treated as A = 1). Returns ``(expr' [B, E], au')`` with ``au'`` in
        the shape of ``au``. With ``return_gates=True`` also a dict of the gates:
        ``"au" [B, A, D]`` and ``"expression" [B, E]`` in ``(0, 1)`` and the attention
        ``"attention" [B, A]`` (rows sum to 1); entries of an unused direction are ``None``.

    Args:
        expr_dim: E. au_dim: D. num_aus: A for per-AU gate biases (``None``: one shared bias; a
            bare ``[B, D]`` input needs ``num_aus`` None or 1).
        direction: ``"both"`` | ``"expr_to_au"`` | ``"au_to_expr"``.
        attn_dim: H, the query/key width of the AU -> expression attention (default min(E, D)).
        gate_bias: initial gate bias (0: gates start at 0.5; negative values start closer to
            the single-task streams).

    Source: Liu et al. ICSPS 2021 (abstract only); the formulas are a stand-in, see the module
    docstring.

    Raises:
        ValueError: bad arguments; inputs of the wrong shape or with mismatched batch sizes.

    >>> gate = ExpressionAUGate(expr_dim=7, au_dim=16, num_aus=5)
    >>> expr, au = gate(torch.randn(2, 7), torch.randn(2, 5, 16))
    >>> expr.shape, au.shape
    (torch.Size([2, 7]), torch.Size([2, 5, 16]))
    """

    def __init__(self, expr_dim: int, au_dim: int, num_aus: Optional[int] = None, direction: str = "both",
                 attn_dim: Optional[int] = None, gate_bias: float = 0.0):
        super().__init__()
        if expr_dim < 1 or au_dim < 1 or (num_aus is not None and num_aus < 1):
            raise ValueError(f"expr_dim, au_dim (and num_aus) must be >= 1, got {expr_dim}, {au_dim}, {num_aus}")
        if direction not in ("both", "expr_to_au", "au_to_expr"):
            raise ValueError(f"direction must be 'both', 'expr_to_au' or 'au_to_expr', got {direction!r}")
        self.expr_dim, self.au_dim, self.num_aus, self.direction = expr_dim, au_dim, num_aus, direction
        self.to_au = direction in ("both", "expr_to_au")
        self.to_expr = direction in ("both", "au_to_expr")
        if self.to_au:
            self.expr_msg = nn.Linear(expr_dim, au_dim)
            self.au_gate = nn.Linear(2 * au_dim, au_dim, bias=False)
            self.au_gate_bias = nn.Parameter(torch.full((num_aus or 1, au_dim), float(gate_bias)))
        if self.to_expr:
            h = attn_dim or min(expr_dim, au_dim)
            self.attn_dim = h
            self.query = nn.Linear(expr_dim, h)
            self.key = nn.Linear(au_dim, h)
            self.value = nn.Linear(au_dim, expr_dim)
            self.expr_gate = nn.Linear(2 * expr_dim, expr_dim)
            nn.init.constant_(self.expr_gate.bias, float(gate_bias))

    def forward(self, expr: Tensor, au: Tensor, return_gates: bool = False):
        """``(expr [B, E], au [B, A, D] or [B, D]) -> (expr', au')`` (+ gates); see the class docstring."""
        if not isinstance(expr, Tensor) or expr.dim() != 2 or expr.shape[1] != self.expr_dim:
            shape = tuple(expr.shape) if isinstance(expr, Tensor) else type(expr).__name__
            raise ValueError(f"expr must be [B, E] = [B, {self.expr_dim}], got {shape}")
        if not isinstance(au, Tensor) or au.dim() not in (2, 3) or au.shape[-1] != self.au_dim:
            shape = tuple(au.shape) if isinstance(au, Tensor) else type(au).__name__
            raise ValueError(f"au must be [B, A, D] or [B, D] with D = {self.au_dim}, got {shape}")
        if au.shape[0] != expr.shape[0]:
            raise ValueError(f"expr and au must have the same batch size, got {expr.shape[0]} and {au.shape[0]}")
        flat = au.dim() == 2
        u = au.unsqueeze(1) if flat else au
        a = u.shape[1]
        if self.num_aus is not None and a != self.num_aus:
            raise ValueError(f"au must hold A = {self.num_aus} AUs, got {tuple(au.shape)}")
        gates = {"au": None, "expression": None, "attention": None}
        new_u, new_e = u, expr
        if self.to_au:
            m = self.expr_msg(expr).unsqueeze(1).expand(-1, a, -1)  # [B, A, D]
            g = torch.sigmoid(self.au_gate(torch.cat([u, m], dim=-1)) + self.au_gate_bias)
            new_u = u + g * m
            gates["au"] = g
        if self.to_expr:
            scores = torch.einsum("bh,bah->ba", self.query(expr), self.key(u)) / math.sqrt(self.attn_dim)
            alpha = scores.softmax(dim=-1)
            m = torch.einsum("ba,bae->be", alpha, self.value(u))
            g = torch.sigmoid(self.expr_gate(torch.cat([expr, m], dim=-1)))
            new_e = expr + g * m
            gates["expression"], gates["attention"] = g, alpha
        out_u = new_u.squeeze(1) if flat else new_u
        return (new_e, out_u, gates) if return_gates else (new_e, out_u)

    def extra_repr(self) -> str:  # noqa: D102
        return f"expr_dim={self.expr_dim}, au_dim={self.au_dim}, num_aus={self.num_aus}, direction={self.direction!r}"
