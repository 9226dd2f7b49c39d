"""The web server on port 8000: the demo page with the chat widget and the staff console."""
