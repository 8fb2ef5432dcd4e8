"""Estimation of AU-expression priors and AU-AU relations from AU-labelled data."""
