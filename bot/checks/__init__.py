"""Quality gates run by ``make test``: data validation and the held-out NLU evaluation."""

from bot import offline

offline.apply()  # `python -m bot.checks...` imports Rasa: no telemetry, no Sentry
