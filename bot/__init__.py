"""Signpost: signposting young people to help, safety first."""

__version__ = "0.1.0"
