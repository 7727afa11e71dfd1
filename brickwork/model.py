"""``Model``: a computation graph that knows its parameters by hierarchical name."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from .errors import BrickError
from .graph.computation_graph import ComputationGraph
from .serialization import parameter_name, set_parameter_values


class Model(ComputationGraph):
    """The graph of a model's outputs (usually its cost), with named parameters.

    Two top bricks (bricks without parents) of the same name, or two
    parameters with the same hierarchical name, are an error: their
    parameters could not be told apart in a checkpoint.

    >>> # Model(cost).get_parameter_dict() -> {'/mlp/linear_0.W': W, ...}
    """

    def __init__(self, outputs: Any):
        super().__init__(outputs)
        names = [brick.name for brick in self.get_top_bricks()]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise BrickError(f"Model: several top bricks are called {repeated}; give them different names")

    def get_top_bricks(self) -> list[Any]:
        """The bricks of the graph that have no parent, in the order first met."""
        tops: list[Any] = []
        for var in self.variables + self.scan_variables:
            brick = getattr(var.tag, "brick", None)
            if brick is None:
                continue
            top = brick.get_unique_path()[0]
            if all(top is not seen for seen in tops):
                tops.append(top)
        return tops

    def get_parameter_dict(self) -> OrderedDict[str, Any]:
        """Each parameter by its hierarchical name, such as ``/mlp/linear_0.W``."""
        named: OrderedDict[str, Any] = OrderedDict()
        for param in self.parameters:
            name = parameter_name(param)
            if name in named and named[name] is not param:
                raise BrickError(f"Model: two parameters are called {name!r}; give their bricks "
                                 f"different names")
            named[name] = param
        return named

    def get_parameter_values(self) -> OrderedDict[str, np.ndarray]:
        """Each parameter's value (a copy) by its hierarchical name."""
        return OrderedDict((name, p.get_value()) for name, p in self.get_parameter_dict().items())

    def set_parameter_values(self, values: dict[str, np.ndarray]) -> None:
        """Set every parameter; names and shapes must all match (checked first)."""
        set_parameter_values(self.get_parameter_dict(), values)
