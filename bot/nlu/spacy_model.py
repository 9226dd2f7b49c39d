"""Write the blank English spaCy pipeline that ``SpacyNLP`` loads (``config.yml`` names its path).

No English model for spaCy 3.4 can be downloaded here, and Rasa's ``SpacyNLP`` needs a directory
with a ``meta.json`` (``blank:en`` is not accepted). The tokenizer rules ship with spaCy itself,
so saving ``spacy.blank("en")`` gives a real English tokenizer with no download. Run as
``python -m bot.nlu.spacy_model [PATH]``; it does nothing when the pipeline is already there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import spacy

DEFAULT_PATH = Path("var/spacy-en")


def ensure_pipeline(path: Path = DEFAULT_PATH) -> Path:
    """Save a blank English pipeline to ``path`` unless one is there; return the path."""
    if not (path / "meta.json").exists():
        nlp = spacy.blank("en")
        nlp.meta["name"] = "mibg_blank"
        path.parent.mkdir(parents=True, exist_ok=True)
        nlp.to_disk(path)
    return path


if __name__ == "__main__":
    print(ensure_pipeline(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH))
