"""Model building blocks: GNN local-AU feature modules and the seed papers' blocks."""
