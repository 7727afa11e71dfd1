"""Carrying states across calls: stateful RNNs and truncated backpropagation.

What Keras calls ``stateful=True`` and Flux ``Recur``/``reset!``/``truncate!``
is explicit here: a :class:`CarriedStates` holds one shared variable per
state; the next call starts from them, and the compiled function's updates
write the final states back. Because the carried values enter the graph as
shared variables, not as outputs of the previous call's graph, gradients
stop at chunk boundaries: training on consecutive chunks of a long sequence
is truncated backpropagation through time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import config
from ...errors import BrickError
from ...tensor.variable import SharedVariable, Variable, shared


class CarriedStates:
    """Shared variables that carry ``brick``'s states from one call to the next.

    >>> # carried = CarriedStates(lstm, batch_size=32)
    >>> # states, cells = lstm.apply(x, **carried.initial_states())
    >>> # train = function([x, y], cost, updates=updates + carried.updates([states, cells]))
    >>> # carried.reset()   # at the start of each new sequence

    Parameters
    ----------
    brick : recurrent brick
    batch_size : int
    names : list of str, optional
        The states to carry; default all of ``brick.apply.states``.
    """

    def __init__(self, brick: Any, batch_size: int, names: list[str] | None = None):
        self.brick = brick
        self.names = list(names if names is not None else brick.apply.states)
        self.variables: dict[str, SharedVariable] = {
            name: shared(np.zeros((batch_size, brick.get_dim(name)), dtype=config.floatX),
                         name=f"{brick.name}_{name}_carried", shape=(None, brick.get_dim(name)))
            for name in self.names}

    def initial_states(self) -> dict[str, SharedVariable]:
        """Keyword arguments for ``brick.apply``: each state starts from its carried value."""
        return dict(self.variables)

    def updates(self, outputs: Any) -> list[tuple[SharedVariable, Variable]]:
        """Updates writing the last step of each state output back.

        ``outputs`` is what ``brick.apply`` returned (matched to its outputs by
        position) or a dict from state name to the stacked output.
        """
        if not isinstance(outputs, dict):
            values = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            outputs = dict(zip(self.brick.apply.outputs, values))
        missing = [n for n in self.names if n not in outputs]
        if missing:
            raise BrickError(f"{self.brick.get_hierarchical_name()}: no output for carried "
                             f"states {missing}; got {list(outputs)}")
        return [(self.variables[n], outputs[n][-1]) for n in self.names]

    def reset(self, batch_size: int | None = None) -> None:
        """Set every carried state to zero (optionally for a new batch size)."""
        for var in self.variables.values():
            old = var.get_value(borrow=True)
            rows = old.shape[0] if batch_size is None else batch_size
            var.set_value(np.zeros((rows,) + old.shape[1:], dtype=old.dtype))

    def values(self) -> dict[str, np.ndarray]:
        """The carried values, by state name (copies)."""
        return {name: var.get_value() for name, var in self.variables.items()}
