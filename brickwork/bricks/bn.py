"""Batch normalization bricks, as in Blocks: ``BatchNormalization``, ``SpatialBatchNormalization``,
``BatchNormalizedMLP``.

A :class:`BatchNormalization` brick normalizes with its *population*
statistics (shared variables ``population_mean`` and ``population_stdev``,
starting at zeros and ones) unless it is in training mode, where it uses the
statistics of the minibatch. Training mode is entered with the brick as a
context manager (``with brick: ...``), with
:func:`brickwork.graph.batch_normalization`, or by transforming a graph
with :func:`brickwork.graph.apply_batch_normalization`;
:func:`brickwork.graph.get_batch_normalization_updates` pairs each
population statistic with its minibatch estimate, to keep a moving average.
"""

from __future__ import annotations

from collections.abc import Sequence as Seq
from typing import Any

import numpy as np

from .. import config, tensor
from ..errors import BrickError
from ..initialization import Constant
from ..roles import (
    BATCH_NORM_DIVISOR,
    BATCH_NORM_MINIBATCH_ESTIMATE,
    BATCH_NORM_OFFSET,
    BATCH_NORM_POPULATION_MEAN,
    BATCH_NORM_POPULATION_STDEV,
    BATCH_NORM_SCALE_PARAMETER,
    BATCH_NORM_SHIFT_PARAMETER,
    add_role,
)
from ..tensor.variable import Variable, shared
from .base import application, lazy
from .interfaces import Feedforward
from .sequences import MLP, Sequence


class BatchNormalization(Feedforward):
    """``(x - mean) / stdev * scale + shift`` per feature, statistics over the batch.

    Parameters
    ----------
    input_dim : int or tuple of int
        The shape of one example; the input is ``(batch,) + input_dim``.
    broadcastable : tuple of bool, optional
        Per example axis, whether the statistics are shared along it
        (averaged over it too); the batch axis always is.
    conserve_memory : bool
        Accepted for Blocks compatibility (one implementation here).
    epsilon : float
        Added to the minibatch variance (default 1e-4).
    scale_init, shift_init : initialization, optional
        Default ``Constant(1)`` and ``Constant(0)``.
    mean_only : bool
        Subtract the mean only (no division, no scale).
    learn_scale, learn_shift : bool
        Whether ``scale`` and ``shift`` are parameters (else 1 and 0).
    seed : int, optional
        For initialization schemes that draw.

    ``apply(input_)``: ``(batch,) + input_dim`` -> the same shape.
    """

    @lazy(allocation=["input_dim"])
    def __init__(self, input_dim: int | tuple | None, broadcastable: Seq[bool] | None = None,
                 conserve_memory: bool = True, epsilon: float = 1e-4, scale_init: Any = None,
                 shift_init: Any = None, mean_only: bool = False, learn_scale: bool = True,
                 learn_shift: bool = True, seed: int = 1, **kwargs: Any):
        super().__init__(**kwargs)
        self.input_dim, self.broadcastable = input_dim, broadcastable
        self.conserve_memory, self.epsilon = conserve_memory, epsilon
        self.scale_init = Constant(1) if scale_init is None else scale_init
        self.shift_init = Constant(0) if shift_init is None else shift_init
        self.mean_only, self.learn_scale, self.learn_shift = mean_only, learn_scale, learn_shift
        self.rng = np.random.default_rng(seed)
        self._training_mode: list[bool] = []

    @property
    def output_dim(self) -> int | tuple:
        """The same as ``input_dim``."""
        return self.input_dim

    def __enter__(self) -> BatchNormalization:
        self._training_mode.append(True)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._training_mode.pop()

    def _shape(self) -> tuple[tuple[int, ...], tuple[bool, ...]]:
        dims = tuple(self.input_dim) if isinstance(self.input_dim, (tuple, list)) else (self.input_dim,)
        shared_axes = tuple(self.broadcastable) if self.broadcastable is not None else (False,) * len(dims)
        if len(shared_axes) != len(dims):
            raise BrickError(f"{self.get_hierarchical_name()}: input_dim {self.input_dim} and "
                             f"broadcastable {self.broadcastable} must have the same length")
        return tuple(1 if b else d for d, b in zip(dims, shared_axes)), shared_axes

    def _allocate(self) -> None:
        shape, _ = self._shape()
        self.shift = self.add_parameter("batch_norm_shift", shape, BATCH_NORM_SHIFT_PARAMETER) \
            if self.learn_shift else None
        self.scale = self.add_parameter("batch_norm_scale", shape, BATCH_NORM_SCALE_PARAMETER) \
            if self.learn_scale and not self.mean_only else None
        self.population_mean = self._statistic("population_mean", shape, 0.0, BATCH_NORM_POPULATION_MEAN)
        self.population_stdev = self._statistic("population_stdev", shape, 1.0, BATCH_NORM_POPULATION_STDEV)

    def _statistic(self, name: str, shape: tuple, value: float, role: Any) -> Any:
        statistic = shared(np.full(shape, value, dtype=config.floatX), name=name)
        add_role(statistic, role)
        statistic.tag.brick = self
        return statistic

    def _initialize(self) -> None:
        for param, scheme in ((self.shift, self.shift_init), (self.scale, self.scale_init)):
            if param is not None:
                scheme.initialize(param, self.rng)
                param.initialized = True

    @property
    def normalization_axes(self) -> tuple[int, ...]:
        """The axes the statistics average over: the batch axis and the shared ones."""
        _, shared_axes = self._shape()
        return (0,) + tuple(i + 1 for i, b in enumerate(shared_axes) if b)

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_: Any, application_call: Any) -> Variable:
        """``input_`` ``(batch,) + input_dim`` -> normalized, the same shape."""
        x = tensor.as_variable(input_)
        training = bool(self._training_mode)
        mean, stdev = self._minibatch_statistics(x) if training else self._population_statistics()
        application_call.metadata.update(training_mode=training, offset=mean[0], divisor=stdev[0])
        add_role(mean, BATCH_NORM_OFFSET)
        mean.tag.brick, mean.tag.application_call = self, application_call
        normalized = x - mean
        if not self.mean_only:
            add_role(stdev, BATCH_NORM_DIVISOR)
            stdev.tag.brick, stdev.tag.application_call = self, application_call
            normalized = normalized / stdev
        if self.scale is not None:
            normalized = normalized * tensor.expand_dims(self.scale, 0)
        if self.shift is not None:
            normalized = normalized + tensor.expand_dims(self.shift, 0)
        return normalized

    def _minibatch_statistics(self, x: Variable) -> tuple[Variable, Variable]:
        axes = self.normalization_axes
        mean = x.mean(axis=axes, keepdims=True)
        add_role(mean, BATCH_NORM_MINIBATCH_ESTIMATE)
        if self.mean_only:
            return mean, tensor.ones_like(mean)
        centred = x - mean
        stdev = tensor.sqrt((centred * centred).mean(axis=axes, keepdims=True) + self.epsilon)
        add_role(stdev, BATCH_NORM_MINIBATCH_ESTIMATE)
        return mean, stdev

    def _population_statistics(self) -> tuple[Variable, Variable]:
        mean = tensor.expand_dims(self.population_mean, 0)
        stdev = tensor.expand_dims(self.population_stdev, 0)
        return mean, (tensor.ones_like(mean) if self.mean_only else stdev)

    def get_dim(self, name: str) -> int | tuple:
        if name in ("input_", "output"):
            return self.input_dim
        return super().get_dim(name)


class SpatialBatchNormalization(BatchNormalization):
    """Batch normalization per channel of ``(batch, channels, height, width, ...)`` inputs.

    ``input_dim`` is ``(channels, height, width, ...)``; the statistics
    average over the batch and every spatial axis.
    """

    def _allocate(self) -> None:
        if not isinstance(self.input_dim, (tuple, list)) or len(self.input_dim) < 2:
            raise BrickError(f"{self.get_hierarchical_name()}: input_dim must be (channels, height, "
                             f"width, ...), got {self.input_dim!r}")
        self.broadcastable = (False,) + (True,) * (len(self.input_dim) - 1)
        super()._allocate()


class BatchNormalizedMLP(MLP):
    """An :class:`MLP` whose activations are each preceded by a :class:`BatchNormalization`.

    Each activation becomes a ``Sequence([BatchNormalization().apply, activation.apply])``
    named ``batch_norm_activation_<i>`` (an activation None: the normalization
    alone, where Blocks fails). The linear layers have no biases
    unless ``use_bias=True`` (the shift would cancel them). ``mean_only``,
    ``learn_scale`` and ``learn_shift`` (keywords) are pushed to the
    normalization bricks, and ``conserve_memory`` is accepted.
    """

    @lazy(allocation=["dims"])
    def __init__(self, activations: Seq, dims: Seq[int] | None, *args: Any, **kwargs: Any):
        self.conserve_memory = kwargs.pop("conserve_memory", True)
        self.mean_only = kwargs.pop("mean_only", False)
        self.learn_scale = kwargs.pop("learn_scale", True)
        self.learn_shift = kwargs.pop("learn_shift", True)
        wrapped = [Sequence([BatchNormalization().apply] + ([] if act is None else [getattr(act, "apply", act)]),
                            name=f"batch_norm_activation_{i}")
                   for i, act in enumerate(activations)]
        kwargs.setdefault("use_bias", False)
        super().__init__(wrapped, dims, *args, **kwargs)

    def _push_allocation_config(self) -> None:
        super()._push_allocation_config()
        for sequence, dim in zip(self.activations, self.dims[1:]):
            normalization = sequence.children[0]
            normalization.input_dim = dim
            for name in ("mean_only", "learn_scale", "learn_shift"):
                setattr(normalization, name, getattr(self, name))
