"""MIBG patient-information assistant: content, NLU components, channels, database, web apps, CLI."""
