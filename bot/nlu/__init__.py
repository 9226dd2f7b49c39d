"""Custom Rasa NLU components (spaCy rule-based matching, safety overrides)."""
