"""Compile knowledge tables into prior matrices ``[E, A]`` and AU-relation graphs."""
