"""``sequential-graph``: models are loaded with ``SequentialGraphRunner``, which gives the
results of Rasa's dask runner."""

from __future__ import annotations

import pytest
import yaml
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import UserUttered

from tests.rasa_patches.helpers import patched
from tests.support.stack import MODEL, ROOT


def _holdout_texts(limit: int) -> list:
    data = yaml.safe_load((ROOT / "tests" / "nlu_holdout.yml").read_text(encoding="utf-8"))
    texts = []
    for item in data["nlu"]:
        examples = [line[2:].strip() for line in item["examples"].splitlines() if line.strip()]
        texts += examples[:2]
    return texts[:limit]


def test_the_processor_loads_models_with_the_sequential_runner() -> None:
    import rasa.core.processor as processor

    with patched("sequential-graph"):
        runner = processor.DaskGraphRunner
        assert runner.__name__ == "SequentialGraphRunner"
        assert issubclass(runner, DaskGraphRunner) and runner.run is not DaskGraphRunner.run
    assert processor.DaskGraphRunner is DaskGraphRunner


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
async def test_sequential_graph_gives_the_same_results() -> None:
    from rasa.core.agent import Agent
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    texts = _holdout_texts(62)
    assert len(texts) == 62

    async def run_all(agent: Agent) -> tuple:
        parsed = [await agent.parse_message(text) for text in texts]
        tracker = agent.processor.tracker_store.init_tracker("s")
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        predictions = []
        for result in parsed[:20]:
            tracker.update(UserUttered(result["text"], result["intent"], [], result))
            prediction = agent.processor.predict_next_with_tracker(tracker)
            predictions.append({k: prediction[k] for k in ("scores", "policy", "confidence")})
        return parsed, predictions

    rasas = Agent.load(str(MODEL))
    assert type(rasas.processor.graph_runner) is DaskGraphRunner
    before = await run_all(rasas)
    with patched("sequential-graph"):
        ours = Agent.load(str(MODEL))
        assert type(ours.processor.graph_runner).__name__ == "SequentialGraphRunner"
        after = await run_all(ours)
    assert after[0] == before[0]  # intents, rankings, entities, confidences
    assert after[1] == before[1]
    assert len({p["intent"]["name"] for p in after[0]}) > 20
