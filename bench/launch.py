"""Start ``rasa`` with the Rasa patches applied in-process, as ``python -m bot serve-rasa`` does.

``python -m bench.launch --deployed -- /path/to/rasa run ...`` applies every patch of
``bot/rasa_patches`` (what ``serve-rasa`` applies in production), then runs Rasa's own command
line with the remaining arguments; the benchmark serves our bot this way, so it measures the bot
as deployed while still passing its own ports, channel and ``--enable-api``. Without
``--deployed`` it is a plain ``rasa`` (the variants' "as is"), with only ``tf-free`` applied
when the model does without TensorFlow: the runtime venv does not install it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from bot import rasa_patches, serving, settings


def _option(args: List[str], name: str) -> str:
    if name not in args or args.index(name) + 1 >= len(args):
        raise SystemExit(f"bench.launch --deployed needs {name} in the rasa arguments")
    return args[args.index(name) + 1]


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        raise SystemExit("usage: python -m bench.launch [--deployed] -- RASA ...")
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="python -m bench.launch")
    parser.add_argument(
        "--deployed", action="store_true", help="bot.rasa_patches.apply(), all of them"
    )
    args = parser.parse_args(argv[:split])
    rasa_args = argv[split + 2 :]  # drop "--" and the rasa script's path
    config = settings.load()
    if args.deployed:
        rasa_patches.apply(config, model=Path(_option(rasa_args, "--model")))
        # Workers and lock store from RASA_WORKERS / LOCK_STORE_URL, as serve-rasa reads them.
        endpoints = Path(_option(rasa_args, "--endpoints"))
        derived, _workers = serving.configure(endpoints, settings.VAR_DIR)
        rasa_args[rasa_args.index("--endpoints") + 1] = str(derived)
    else:
        model = Path(_option(rasa_args, "--model")) if "--model" in rasa_args else None
        rasa_patches.apply(config, model=model, only=["tf-free"])
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *rasa_args]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
