"""Channels translate between a messaging platform and the dialogue engine."""
