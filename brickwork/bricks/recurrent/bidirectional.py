"""Bidirectional recurrence: a forward and a backward copy, concatenated."""

from __future__ import annotations

import copy
from typing import Any

from ... import tensor
from ..base import application, lazy
from ..interfaces import Initializable


class Bidirectional(Initializable):
    """Run a copy of ``prototype`` forward and another backward over time.

    The children are named ``forward`` and ``backward``; each output is the
    concatenation ``[forward, backward]`` on the feature (last) axis, both
    aligned with the input's time axis.
    """

    @lazy()
    def __init__(self, prototype: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.prototype = prototype
        forward, backward = copy.deepcopy(prototype), copy.deepcopy(prototype)
        forward.name, backward.name = "forward", "backward"
        self.children = [forward, backward]

    @application
    def apply(self, *args: Any, **kwargs: Any) -> Any:
        """As the prototype's ``apply``, with every output twice as wide."""
        forward = _as_list(self.children[0].apply(*args, **kwargs))
        backward = _as_list(self.children[1].apply(*args, reverse=True, **kwargs))
        out = [tensor.concatenate([f, b], axis=-1) for f, b in zip(forward, backward)]
        return out[0] if len(out) == 1 else out

    @apply.property("outputs")
    def apply_outputs(self) -> list[str]:
        """The prototype's output names (each output twice as wide)."""
        return list(self.children[0].apply.outputs)

    @apply.delegate
    def apply_delegate(self) -> Any:
        """The forward copy's ``apply``: its sequences, states and contexts are this one's."""
        return self.children[0].apply

    @application
    def initial_states(self, batch_size: Any, *args: Any, **kwargs: Any) -> Any:
        """Each state's initial value, forward and backward concatenated like the outputs."""
        forward = _as_list(self.children[0].initial_states(batch_size, *args, **kwargs))
        backward = _as_list(self.children[1].initial_states(batch_size, *args, **kwargs))
        out = [tensor.concatenate([f, b], axis=-1) for f, b in zip(forward, backward)]
        return out[0] if len(out) == 1 else out

    @initial_states.property("outputs")
    def initial_states_outputs(self) -> list[str]:
        """The names of the states, as the prototype's."""
        return list(self.children[0].initial_states.outputs)

    def get_dim(self, name: str) -> int:
        if name in self.children[0].apply.outputs:
            return 2 * self.prototype.get_dim(name)
        return self.prototype.get_dim(name)


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]
