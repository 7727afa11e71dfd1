"""Synchronous data parallelism: every process runs the same update on its shard of each global batch.

Each process computes, on its shard, the cost and its gradients (means over
its examples) and the count of what they average over (its examples, or a
symbolic count such as the number of unmasked steps). One all-reduce sums
``count * cost``, ``count * gradient`` and ``count`` over the processes in a
single flat float64 buffer; dividing by the summed count gives the means
over the whole global batch — the gradient one process would have computed
on it — even when the processes hold different numbers of real steps
(averaging per-process means would be wrong then). The step rule then runs
on that mean gradient on every process alike, so the parameters stay equal
without being sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import TrainingError
from ..graph import ComputationGraph, function
from ..tensor.random import random_streams
from ..tensor.variable import Variable
from ..tensor.walk import clone_replace
from .shards import Shard
from .world import World, world


class DataParallel:
    """The distributed update of a ``GradientDescent(..., distributed=True)``.

    Parameters
    ----------
    algorithm : GradientDescent
        Its cost, gradients, steps and parameters.
    count : scalar Variable, optional
        What the cost averages over in a batch (the number of unmasked steps
        for a masked mean, say); only its proportion across processes matters.
        Default: the examples of each process's :class:`Shard`.
    """

    def __init__(self, algorithm: Any, count: Variable | None = None, this: World | None = None):
        self.algorithm, self.count = algorithm, count
        self.world = this or world()
        self._local = self._step = None
        self._seed_random_streams_per_rank()

    def compile(self, updates: Sequence[tuple[Any, Any]], monitored: Sequence[Variable]) -> None:
        """Compile the local gradient function and the step from the mean gradient; align parameters."""
        algorithm = self.algorithm
        shared = set(algorithm.parameters) | set(algorithm.state_variables())
        self.monitored = list(monitored)
        for var in self.monitored:
            if var.ndim:
                raise TrainingError(f"distributed training monitors scalars only; {var.name!r} has "
                                    f"{var.ndim} dimensions")
        gradients = list(algorithm.gradients.values())
        means = [Variable(g.type, name=f"mean_gradient_{p.name}") for p, g in algorithm.gradients.items()]
        stepped = [(var, new) for var, new in updates if var in shared]
        replaced = clone_replace([new for _, new in stepped] + [algorithm.total_gradient_norm],
                                 dict(zip(gradients, means)))
        _check_reads_only(replaced, means)
        self._step = function(means, [replaced[-1]], updates=[(var, new) for (var, _), new in
                                                               zip(stepped, replaced[:-1])])
        outputs = [algorithm.cost] + gradients + self.monitored + ([self.count] if self.count is not None else [])
        self._local = function(algorithm.inputs, outputs,
                               updates=[(var, new) for var, new in updates if var not in shared])
        self._shapes = [p.get_value(borrow=True).shape for p in algorithm.parameters]
        self._broadcast_from_rank_zero(list(algorithm.parameters) + list(algorithm.state_variables()))

    def run(self, batch: Any, arguments: list) -> list:
        """One update on this process's shard; returns the global ``[cost, gradient norm, *monitored]``."""
        weight = self._examples(batch)
        values = self._local(*arguments) if weight else self._nothing()
        if self.world.size == 1:
            gradients = values[1:1 + len(self._shapes)]
            cost, monitored = values[0], values[1 + len(self._shapes):][:len(self.monitored)]
        else:
            if self.count is not None and weight:
                weight = float(values[-1])
            # a shard whose steps are all masked has a 0/0 cost: it contributes nothing, not NaN
            cost, gradients, monitored = self._all_reduce(values if weight else self._nothing(), weight)
        norm = self._step(*gradients)[0]
        return [cost, norm] + list(monitored)

    def _examples(self, batch: Any) -> int:
        if isinstance(batch, Shard):
            return batch.examples
        if self.world.size > 1 and self.count is None:
            raise TrainingError(f"GradientDescent(distributed=True) on {self.world.size} processes needs "
                                "batches from a stream made with distributed=True (a Shard of each "
                                f"global batch); it got a {type(batch).__name__}")
        return 1

    def _nothing(self) -> list:
        """What a process without examples contributes: zeros (times a zero weight)."""
        return [0.0] + [np.zeros(s) for s in self._shapes] + [0.0] * len(self.monitored) + [0.0]

    def _all_reduce(self, values: list, weight: float) -> tuple[float, list, list]:
        n = len(self._shapes)
        scalars = [values[0]] + list(values[1 + n:1 + n + len(self.monitored)])
        buffer = np.concatenate([np.asarray(scalars, dtype="float64")]
                                + [np.ravel(g).astype("float64") for g in values[1:1 + n]])
        total = self.world.sum(np.append(buffer * weight, weight))
        if total[-1] <= 0:
            raise TrainingError("a global batch without any example (or any unmasked step) on every process")
        mean = total[:-1] / total[-1]
        gradients, offset = [], len(scalars)
        for shape, param in zip(self._shapes, self.algorithm.parameters):
            size = int(np.prod(shape))
            gradients.append(mean[offset:offset + size].reshape(shape).astype(param.dtype))
            offset += size
        return float(mean[0]), gradients, [float(v) for v in mean[1:len(scalars)]]

    def _broadcast_from_rank_zero(self, variables: list) -> None:
        """Every process starts from rank 0's parameters and step-rule state (a guard against drift)."""
        if self.world.size == 1:
            return
        for var in variables:
            var.set_value(self.world.broadcast_array(var.get_value()))

    def _seed_random_streams_per_rank(self) -> None:
        """Each process draws its own dropout masks and noise: rank r's generator jumps r times ahead."""
        if self.world.rank == 0:
            return
        for streams in random_streams([self.algorithm.cost] + list(self.algorithm.gradients.values())):
            streams.generator = np.random.Generator(streams.generator.bit_generator.jumped(self.world.rank))


def _check_reads_only(outputs: list, means: list) -> None:
    allowed = {id(m) for m in means}
    others = [v.name for v in ComputationGraph(outputs).inputs if id(v) not in allowed]
    if others:
        raise TrainingError(f"distributed training: the step rule reads the batch inputs {others}, "
                            "not only the gradients; it cannot run on the all-reduced mean gradient")


def is_distributed(algorithm: Any) -> bool:
    """Whether ``algorithm`` trains data-parallel (``GradientDescent(..., distributed=True)``)."""
    return bool(getattr(algorithm, "distributed", False))


def agreed_stop(status: dict, algorithm: Any) -> bool:
    """Whether to stop, as rank 0 decided: its flags reach every process in the same update."""
    keys = ("training_finish_requested", "batch_interrupt_received")
    if not is_distributed(algorithm):
        return any(status[k] for k in keys)
    flags = world().broadcast_array(np.array([bool(status[k]) for k in keys]))
    status.update(zip(keys, map(bool, flags)))
    return bool(flags.any())


def speaks(extension: Any, algorithm: Any) -> bool:
    """Whether ``extension`` runs here: those marked ``rank_zero_only`` run on rank 0 alone."""
    return not (getattr(extension, "rank_zero_only", False) and is_distributed(algorithm)
                and world().rank != 0)


def writes_files(algorithm: Any) -> bool:
    """Whether this process writes checkpoints and plots: rank 0 alone when training is distributed."""
    return not is_distributed(algorithm) or world().rank == 0


def gather_random_states(algorithm: Any, states: list) -> list | None:
    """Every process's random-stream ``states``, by rank, on rank 0 (for its checkpoint).

    A collective: every process calls it. None when training is not distributed.
    """
    return world().gather(states) if is_distributed(algorithm) else None


def own_random_states(algorithm: Any, meta: dict) -> list:
    """The random-stream states of this process from a checkpoint's ``meta``."""
    by_rank = meta.get("random_streams_by_rank")
    if not by_rank or not is_distributed(algorithm):
        return meta.get("random_streams", [])
    if len(by_rank) != world().size:
        raise TrainingError(f"the checkpoint holds the random streams of {len(by_rank)} processes, "
                            f"but this run has {world().size}; resume with mpiexec -n {len(by_rank)}")
    return by_rank[world().rank]
