"""Languages: which ones we speak (``locales``), which one a message is in (``detect``, ``hint``),
which one a conversation uses (``conversation``) and the responses in it (``nlg``)."""
