"""Custom actions for the MIBG assistant, run by the Rasa SDK action server.

One module per concern: answers that need logic (``answers``), the conversation start
(``session_start``), the treatment-request form (``treatment_request_form`` with the pure field
checks in ``form_fields``) and storing or cancelling a request (``submit_request``).
"""
