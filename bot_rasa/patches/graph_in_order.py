"""The model graph built once per target list and run in order, without dask.

Rasa: DaskGraphRunner.run builds the sub-graph needed for the requested
targets (a quadratic dependency search) for every NLU parse and every policy
prediction, then hands it to dask's local scheduler (task ordering, queues,
callbacks: ~1.5 ms per run) for a dozen nodes that run one after the other.

Patch: the built graph is kept per target list (the schema does not change
after loading), and its nodes are run directly, each needed node once, every
node after the nodes it needs; a name that is not a node is passed on
literally, as dask does.

Same decisions: the same nodes get the same inputs (tests compare parse
results and policy predictions with Rasa's runner, and run_in_order with
dask.get).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

from bot_rasa.patches._switch import Replacement, Switch

NAME = "graph_in_order"
SUMMARY = "model graph built once per target list and its nodes run in order instead of via dask's scheduler"


def graph_run(
    self: Any, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None
) -> Dict[Text, Any]:
    """DaskGraphRunner.run, reusing the graph built for these targets."""
    run_targets = targets if targets else self._graph_schema.target_names
    built = self.__dict__.setdefault("_nw_graphs", {})
    key = tuple(run_targets)
    if key not in built:
        built[key] = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
    run_graph = dict(built[key])  # inputs are added per run
    if inputs:
        self._add_inputs_to_graph(inputs, run_graph)
    try:
        return dict(run_in_order(run_graph, run_targets))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


def run_in_order(graph: Dict[Text, Any], targets: List[Text]) -> List[Any]:
    """dask.get for Rasa's graphs, in one thread.

    A node is (callable, *names of the nodes it needs); an input is a literal
    (name, value) pair, passed on as it is.
    """
    done: Dict[Text, Any] = {}

    def value(name: Text) -> Any:
        if name in done:
            return done[name]
        task = graph[name]
        if isinstance(task, tuple) and task and callable(task[0]):
            # Like dask, a name that is not in the graph is passed on literally.
            result = task[0](*(value(need) if need in graph else need for need in task[1:]))
        else:
            result = task
        done[name] = result
        return result

    return [value(target) for target in targets]


def _replacements() -> List[Replacement]:
    return [Replacement(DaskGraphRunner, "run", graph_run)]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
