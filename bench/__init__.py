"""Side-by-side benchmark of our bot against a default (`rasa init`) Rasa 3.6 bot.

``make bench`` (``python -m bench.run``) trains both bots from the same data into
``bench/work/``, serves each with the same channel, tracker store kind and action server,
drives them with scripted multi-turn conversations and writes a table and a JSON file under
``bench/results/``. Method and findings: ``docs/performance.md``.
"""
