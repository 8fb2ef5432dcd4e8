"""auknow: facial-action (FACS AU) knowledge as editable, validated tables, compiled into the
priors, graphs and losses that deep facial-expression and AU models consume."""

__version__ = "0.1.0"
