"""Each process's share of a global batch, and means over a batch split across processes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .world import World, world


class Shard(dict):
    """This process's part of a global batch: a dict from input name to array.

    Attributes
    ----------
    examples : int
        How many examples of the global batch this process holds (may be 0
        when a global batch has fewer examples than there are processes).
    """

    def __init__(self, arrays: dict, examples: int):
        super().__init__(arrays)
        self.examples = examples


def shard_indices(indices: np.ndarray, this: World | None = None) -> np.ndarray:
    """This process's contiguous part of a global batch's example ``indices``.

    Parts differ in length by at most one; lower ranks get the longer ones.

    Parameters
    ----------
    indices : ``(global_batch,)`` int array

    Returns
    -------
    ``(local_batch,)`` int array
    """
    this = this or world()
    return np.array_split(indices, this.size)[this.rank]


def weighted_means(values: Sequence[float], weight: float, this: World | None = None) -> list[float]:
    """The weighted mean over every process of each of ``values`` (one all-reduce).

    Each process passes the means over its examples and how many examples
    (``weight``) they are; a process without examples passes weight 0.
    """
    this = this or world()
    buffer = np.array([weight * float(v) for v in values] + [weight], dtype="float64")
    total = this.sum(buffer)
    return list(total[:-1] / total[-1])


def shard_means(compute: Callable[[Any], Sequence[float]], batch: Any, n_values: int) -> list[float]:
    """``compute(batch)`` averaged over the processes when ``batch`` is a :class:`Shard`.

    A shard without examples is not computed (a mean over nothing is not a
    number); it only contributes its zero weight.
    """
    if not isinstance(batch, Shard):
        return [float(v) for v in compute(batch)]
    values = compute(batch) if batch.examples else [0.0] * n_values
    return weighted_means(values, batch.examples)
