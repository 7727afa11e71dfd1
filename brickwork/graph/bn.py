"""Batch normalization on graphs: training mode, the training graph, population updates.

See :mod:`brickwork.bricks.bn`. A graph built with :class:`BatchNormalization`
bricks normalizes with population statistics (inference); the training
graph uses each minibatch's statistics instead.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from ..errors import GraphError
from ..roles import INPUT, OUTPUT
from .computation_graph import ComputationGraph
from .filters import VariableFilter


def _normalization_bricks(bricks: tuple) -> list[Any]:
    """Every :class:`BatchNormalization` among ``bricks`` and their descendants, each once."""
    from ..bricks.bn import BatchNormalization
    found, stack = [], list(bricks)
    while stack:
        brick = stack.pop(0)
        if isinstance(brick, BatchNormalization) and all(brick is not b for b in found):
            found.append(brick)
        stack.extend(brick.children)
    return found


@contextlib.contextmanager
def batch_normalization(*bricks: Any) -> Iterator[None]:
    """Within the block, the :class:`BatchNormalization` bricks among ``bricks`` (and
    their descendants) use minibatch statistics: graphs built there are training graphs."""
    normalizations = _normalization_bricks(bricks)
    entered = []
    try:
        for brick in normalizations:
            brick.__enter__()
            entered.append(brick)
        yield
    finally:
        for brick in reversed(entered):
            brick.__exit__()


def _calls(graph: ComputationGraph, role: Any) -> OrderedDict:
    from ..bricks.bn import BatchNormalization
    found = OrderedDict()
    for var in VariableFilter(bricks=[BatchNormalization], roles=[role])(graph):
        call = getattr(var.tag, "application_call", None)
        if call is not None and call.application.name == "apply":
            found.setdefault(call, var)
    return found


def apply_batch_normalization(graph: ComputationGraph) -> ComputationGraph:
    """The training graph of ``graph``: every inference-mode :class:`BatchNormalization`
    application replaced by one that uses the minibatch's statistics.

    Parameters
    ----------
    graph : ComputationGraph

    Returns
    -------
    ComputationGraph
    """
    inputs, outputs = _calls(graph, INPUT), _calls(graph, OUTPUT)
    replacements = []
    for call, output in outputs.items():
        if call.metadata.get("training_mode") or call not in inputs:
            continue
        original = inputs[call].owner.inputs[0]  # the input before the application's tagged copy
        with call.brick:
            replacements.append((output, call.brick.apply(original)))
    return graph.replace(replacements)


def get_batch_normalization_updates(training_graph: ComputationGraph,
                                    allow_duplicates: bool = False) -> list[tuple[Any, Any]]:
    """Pairs ``(population statistic, its minibatch estimate)`` of a training graph.

    One pair for the mean and one for the standard deviation (the mean only
    with ``mean_only``) per training-mode application. A brick applied
    several times is an error unless ``allow_duplicates`` (then every pair
    is returned). Use them for a moving average, for instance
    ``(p, m * p + (1 - m) * estimate)`` as ``GradientDescent(updates=...)``.
    """
    calls = [call for call in _calls(training_graph, OUTPUT) if call.metadata.get("training_mode")]
    if not calls:
        raise GraphError("get_batch_normalization_updates: no training-mode BatchNormalization "
                         "application in the graph (use apply_batch_normalization first)")
    bricks = [call.brick for call in calls]
    repeated = [b.get_hierarchical_name() for i, b in enumerate(bricks) if any(b is c for c in bricks[:i])]
    if repeated and not allow_duplicates:
        raise GraphError(f"get_batch_normalization_updates: {repeated} applied more than once; pass "
                         f"allow_duplicates=True to get the pairs of every application")
    pairs = []
    for call in calls:
        pairs.append((call.brick.population_mean, call.metadata["offset"]))
        if not call.brick.mean_only:
            pairs.append((call.brick.population_stdev, call.metadata["divisor"]))
    return pairs
