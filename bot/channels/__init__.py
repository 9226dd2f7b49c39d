"""Rasa input channels hardened for patients' messages (REST; messengers and widget build on it)."""
