"""Run the model's graph node by node in plain Python instead of through dask.

Rasa runs the NLU pipeline and the policies as a dask graph on every message and for every
predicted action; dask's scheduler cost more than our components. :class:`SequentialGraphRunner`
is Rasa's ``DaskGraphRunner`` (same nodes, built the same way) whose ``run`` calls the nodes in
dependency order, with the same inputs and results. The patch makes the message processor load
models with it (``rasa.core.processor.DaskGraphRunner``), so a served model's runner, and every
stack trace through it, says what runs it; training keeps Rasa's dask runner.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from bot.rasa_patches.registry import Patching


def graph_plan(runner: Any, targets: Tuple[str, ...]) -> List[str]:
    """The nodes ``targets`` need, each after the nodes it needs (computed once per runner)."""
    plans = runner.__dict__.setdefault("_mibg_plans", {})
    plan = plans.get(targets)
    if plan is None:
        nodes = runner._graph_schema.nodes
        plan, seen = [], set()

        def visit(name: str) -> None:
            if name in seen or name not in nodes:
                return
            seen.add(name)
            for needed in nodes[name].needs.values():
                visit(needed)
            plan.append(name)

        for target in targets:
            visit(target)
        plans[targets] = plan
    return plan


def sequential_runner_class() -> type:
    """``SequentialGraphRunner``, a ``DaskGraphRunner`` that does not use dask to run."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    class SequentialGraphRunner(DaskGraphRunner):
        """Rasa's graph runner, running the nodes one after the other in dependency order."""

        def run(
            self,
            inputs: Optional[Dict[str, Any]] = None,
            targets: Optional[List[str]] = None,
        ) -> Dict[str, Any]:
            run_targets = tuple(targets if targets else self._graph_schema.target_names)
            nodes = self._graph_schema.nodes
            # As in a dask graph: an input is the tuple (name, value), and replaces a node of
            # that name; a string input that names a node is refused, as DaskGraphRunner does.
            results: Dict[str, Any] = {}
            for name, value in (inputs or {}).items():
                if isinstance(value, str) and value in nodes:
                    raise GraphRunError(f"Input value '{value}' clashes with a node name.")
                results[name] = (name, value)
            try:
                for name in graph_plan(self, run_targets):
                    if name in results:
                        continue
                    needs = nodes[name].needs.values()
                    # A name that resolves to nothing is passed as the bare name, as dask does.
                    results[name] = self._instantiated_nodes[name](
                        *[results.get(needed, needed) for needed in needs]
                    )
            except RuntimeError as e:
                raise GraphRunError("Error running runner.") from e
            return dict(results[target] for target in run_targets)

    SequentialGraphRunner.__module__ = __name__
    SequentialGraphRunner.__qualname__ = "SequentialGraphRunner"
    return SequentialGraphRunner


def install(patching: Patching) -> None:
    import rasa.core.processor as processor

    patching.replace(processor, "DaskGraphRunner", sequential_runner_class())
