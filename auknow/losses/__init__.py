"""Differentiable prior losses that attach to any DFER or AU backbone."""
