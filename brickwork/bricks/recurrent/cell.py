""":class:`RecurrentCell`: a recurrent brick written as its step and its parameters.

Everything else a recurrent brick of one state size ``dim`` needs is the
same from brick to brick, and lives here once: the ``@recurrent`` ``apply``
over the declared sequences (with the ``mask`` every recurrent brick
accepts), ``get_dim``, the feature-size check of each sequence, allocation
and initialization of the weights, and learnable initial states.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ...roles import WEIGHT
from ..base import check_features, lazy
from ..interfaces import Initializable
from .base import BaseRecurrent, recurrent
from .states import LearnedInitialStates


class RecurrentCell(LearnedInitialStates, BaseRecurrent, Initializable):
    """Base of recurrent bricks whose states all have ``dim`` features.

    A subclass declares its sequences and states, lists its weights and writes
    one time step::

        class IndRNN(RecurrentCell):
            sequence_dims = {"inputs": 1}

            def weights(self):
                return {"recurrent_weights": (self.dim,)}

            def step(self, inputs, states):
                return self.activation.apply(inputs + states * self.parameter("recurrent_weights"))

    The base turns ``step`` into the application ``apply`` (see
    :func:`~brickwork.bricks.recurrent.recurrent`; ``mask`` is a sequence of
    every cell), so ``cell.apply(x, mask=m)`` runs it over ``x`` ``(time,
    batch, features)``.

    Parameters
    ----------
    dim : int
        Features of every state.

    Attributes
    ----------
    sequence_dims : dict of str to int
        The sequences ``step`` reads, in order, each with its features as a
        multiple of ``dim`` (``{"inputs": 4}`` for an LSTM's four gates).
    state_names : tuple of str
        The states, each ``(batch, dim)``; ``step`` returns their new values
        in this order.
    initial_names : dict of str to str
        The name of the learnable initial vector of a state, where it is not
        ``initial_state``.
    """

    sequence_dims: dict[str, int] = {"inputs": 1}
    state_names: tuple[str, ...] = ("states",)
    initial_names: dict[str, str] = {}

    @lazy(allocation=["dim"])
    def __init__(self, dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.dim = dim

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.apply = _application(cls, cls.__dict__["step"])
            cls.apply.__set_name__(cls, "apply")

    def weights(self) -> dict[str, tuple[int, ...]]:
        """The step's parameters by name, with their shapes: role WEIGHT, filled by
        ``weights_init``. None by default."""
        return {}

    def step(self, **sequences_and_states: Any) -> Any:
        """One time step: slices ``(batch, k * dim)`` of the sequences and the states
        ``(batch, dim)``, by name, to the new states (one, or a tuple in the order of
        ``state_names``)."""
        raise NotImplementedError(f"{type(self).__name__} must define step")

    def get_dim(self, name: str) -> int:
        if name == "mask":
            return 0
        if name in self.sequence_dims:
            return self.sequence_dims[name] * self.dim
        if name in self.state_names:
            return self.dim
        return super().get_dim(name)

    def _allocate(self) -> None:
        for name, shape in self.weights().items():
            self.add_parameter(name, shape, WEIGHT)
        self.allocate_initial_states({s: self.dim for s in self.state_names}, names=self.initial_names)

    def _initialize(self) -> None:
        for name in self.weights():
            self.init_parameter(self.parameter(name))

    def check_sequences(self, named: dict[str, Any]) -> None:
        """Raise a BrickError naming the brick when a sequence has the wrong number of features."""
        for name, multiple in self.sequence_dims.items():
            if named.get(name) is not None:
                what = "dim" if multiple == 1 else f"{multiple} * dim"
                check_features(self, "apply", name, named[name], multiple * self.dim, what)


def _application(cls: type, step: Callable) -> Any:
    """``step`` as the ``@recurrent`` application ``apply`` of ``cls``."""

    signature = inspect.signature(step)

    def apply(self: RecurrentCell, *args: Any, **kwargs: Any) -> Any:
        named = signature.bind(self, *args, **kwargs).arguments
        self.check_sequences(named)
        return step(**named)

    apply.__signature__ = signature  # the arguments ``apply`` binds by name
    apply.__name__, apply.__qualname__ = "apply", f"{cls.__qualname__}.apply"
    apply.__doc__ = step.__doc__
    names = list(cls.state_names)
    return recurrent(sequences=[*cls.sequence_dims, "mask"], states=names, outputs=names, contexts=[])(apply)
