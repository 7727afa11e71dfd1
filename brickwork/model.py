"""``Model``: a computation graph that knows its parameters by hierarchical name."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from .graph.computation_graph import ComputationGraph
from .serialization import parameter_name, set_parameter_values


class Model(ComputationGraph):
    """The graph of a model's outputs (usually its cost), with named parameters.

    >>> # Model(cost).get_parameter_dict() -> {'/mlp/linear_0.W': W, ...}
    """

    def get_parameter_dict(self) -> OrderedDict[str, Any]:
        """Each parameter by its hierarchical name, such as ``/mlp/linear_0.W``."""
        return OrderedDict((parameter_name(p), p) for p in self.parameters)

    def get_parameter_values(self) -> OrderedDict[str, np.ndarray]:
        """Each parameter's value (a copy) by its hierarchical name."""
        return OrderedDict((name, p.get_value()) for name, p in self.get_parameter_dict().items())

    def set_parameter_values(self, values: dict[str, np.ndarray]) -> None:
        """Set every parameter; names and shapes must all match (checked first)."""
        set_parameter_values(self.get_parameter_dict(), values)
