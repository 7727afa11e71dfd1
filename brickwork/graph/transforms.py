"""Graph transformations that return new graphs: dropout, noise, collected parameters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ..roles import COLLECTED, COLLECTOR, DROPOUT, add_role
from ..tensor.random import RandomStreams
from ..tensor.variable import SharedVariable, Variable, shared
from .computation_graph import ComputationGraph


def apply_dropout(graph: ComputationGraph, variables: Iterable[Variable], drop_prob: float,
                  rng: RandomStreams | None = None, seed: int = 1,
                  custom_divisor: float | None = None) -> ComputationGraph:
    """A new graph where each of ``variables`` is zeroed with probability ``drop_prob``.

    Kept values are divided by ``1 - drop_prob`` (inverted dropout), so the
    original graph serves unchanged at inference, or by ``custom_divisor``
    when given (as Blocks). ``rng`` (a ``RandomStreams``) draws the masks;
    without one, streams seeded with ``seed``.
    """
    streams = rng if rng is not None else RandomStreams(seed)
    keep = 1.0 - drop_prob
    divisor = keep if custom_divisor is None else custom_divisor
    replacements = {}
    for var in variables:
        mask = streams.binomial(var.shape, p=keep, dtype=var.dtype)
        dropped = var * mask / divisor
        add_role(dropped, DROPOUT)
        replacements[var] = dropped
    return graph.replace(replacements)


def collect_parameters(graph: ComputationGraph, parameters: Sequence[SharedVariable]) -> ComputationGraph:
    """A new graph whose ``parameters`` are slices of one shared vector.

    The vector, ``collected_parameters``, holds the parameters' values one
    after another and has role COLLECTOR; each parameter is replaced by its
    reshaped slice, with role COLLECTED (and ``replacement_of``, the
    parameter). One vector makes a full Hessian one ``grad`` of a ``grad``.
    """
    values = [p.get_value() for p in parameters]
    vector = shared(np.concatenate([v.ravel() for v in values]) if values else np.zeros(0),
                    name="collected_parameters")
    add_role(vector, COLLECTOR)
    replacements, start = {}, 0
    for param, value in zip(parameters, values):
        piece = vector[start:start + value.size].reshape(value.shape)
        piece.replacement_of = param
        add_role(piece, COLLECTED)
        replacements[param] = piece
        start += value.size
    return graph.replace(replacements)


def apply_noise(graph: ComputationGraph, variables: Iterable[Variable], level: float,
                seed: int = 1) -> ComputationGraph:
    """A new graph with Gaussian noise of standard deviation ``level`` added to ``variables``."""
    streams = RandomStreams(seed)
    return graph.replace({var: var + streams.normal(var.shape, std=level, dtype=var.dtype)
                          for var in variables})
