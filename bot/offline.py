"""Rasa's telemetry and its Sentry crash reports, off in every process we start.

Rasa 3.6 sends usage events to Segment and crash reports to Sentry unless
``RASA_TELEMETRY_ENABLED`` is false (or the user's ``~/.config/rasa/global.yml`` says so); its
error reporting is set up only when telemetry is on. Every entry point we own calls
:func:`apply` before Rasa is imported, so running outside ``make`` never contacts Rasa's hosts:
``python -m bot ...`` (serve-rasa, serve-actions, serve-web, ``rasa`` for training and tests),
the web app module and the action server.
"""

from __future__ import annotations

import os

#: Environment Rasa reads; set whatever the environment said before.
OFF = {
    "RASA_TELEMETRY_ENABLED": "false",
}
#: Would send crash reports to this key's Sentry project if error reporting ever ran.
REMOVED = ("RASA_EXCEPTION_WRITE_KEY", "RASA_TELEMETRY_WRITE_KEY")


def apply() -> None:
    """Turn Rasa's telemetry and Sentry error reporting off in this process (and children)."""
    os.environ.update(OFF)
    for name in REMOVED:
        os.environ.pop(name, None)
