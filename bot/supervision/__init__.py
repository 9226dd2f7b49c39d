"""Keeping the service up when one of its processes fails (docs/processes.md)."""
