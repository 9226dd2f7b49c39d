"""MIBG patient-information assistant: content, NLU components, channels, database, web, CLI."""
