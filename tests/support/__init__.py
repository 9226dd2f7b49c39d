"""What the tests and the benchmark share: live stacks, throw-away databases, chat clients,
floods and realistic conversations. The benchmark (``bench/``) imports them from here; nothing
in ``bot/`` does."""
