"""Quality gates run by ``make test``: data validation and the held-out NLU evaluation."""
