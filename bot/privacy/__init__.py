"""Everything about a person's data in one place: erasure, consent withdrawal, what is stored.

Used by the command line (``python -m bot erase``), the staff console and the chat actions
(``actions/privacy_requests.py``), so an erasure is the same whichever way it is asked for.
Nothing here imports ``bot.web``; the console imports this package, not the other way round.
"""
