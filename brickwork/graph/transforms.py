"""Graph transformations that return new graphs: dropout and noise."""

from __future__ import annotations

from collections.abc import Iterable

from ..roles import DROPOUT, add_role
from ..tensor.random import RandomStreams
from ..tensor.variable import Variable
from .computation_graph import ComputationGraph


def apply_dropout(graph: ComputationGraph, variables: Iterable[Variable], drop_prob: float,
                  seed: int = 1) -> ComputationGraph:
    """A new graph where each of ``variables`` is zeroed with probability ``drop_prob``.

    Kept values are scaled by ``1 / (1 - drop_prob)`` (inverted dropout), so the
    original graph serves unchanged at inference.
    """
    streams = RandomStreams(seed)
    keep = 1.0 - drop_prob
    replacements = {}
    for var in variables:
        mask = streams.binomial(var.shape, p=keep, dtype=var.dtype)
        dropped = var * mask / keep
        add_role(dropped, DROPOUT)
        replacements[var] = dropped
    return graph.replace(replacements)


def apply_noise(graph: ComputationGraph, variables: Iterable[Variable], level: float,
                seed: int = 1) -> ComputationGraph:
    """A new graph with Gaussian noise of standard deviation ``level`` added to ``variables``."""
    streams = RandomStreams(seed)
    return graph.replace({var: var + streams.normal(var.shape, std=level, dtype=var.dtype)
                          for var in variables})
