"""Bundled knowledge tables (installed as ``auknow.knowledge``); see README.md in this folder."""
