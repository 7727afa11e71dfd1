"""The reference evaluator: walks the graph node by node, with no rewrites.

It is slow and plain on purpose: tests hold the compiled executor to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import GraphError
from ..tensor.variable import Constant, SharedVariable, Variable
from ..tensor.walk import toposort


def evaluate(outputs: Variable | Sequence[Variable],
             inputs: Mapping[Variable, Any] | None = None) -> Any:
    """Values of ``outputs`` given values of the graph's inputs.

    Parameters
    ----------
    outputs : Variable or list of Variable
    inputs : dict from Variable to array
        Values of every non-shared, non-constant input the outputs need.
    """
    single = isinstance(outputs, Variable)
    outputs = [outputs] if single else list(outputs)
    inputs = dict(inputs or {})
    values = {id(var): np.asarray(value, dtype=var.type.dtype) for var, value in inputs.items()}
    for node in toposort(outputs, stop_at=inputs):
        args = [_value(v, values) for v in node.inputs]
        result = node.op.perform(*args)
        results = [result] if len(node.outputs) == 1 else result
        for var, value in zip(node.outputs, results):
            values[id(var)] = np.asarray(value)
    result = [np.array(_value(v, values)) for v in outputs]
    return result[0] if single else result


def _value(var: Variable, values: dict) -> Any:
    if id(var) in values:
        return values[id(var)]
    if isinstance(var, Constant):
        return var.value
    if isinstance(var, SharedVariable):
        return var.container[0]
    raise GraphError(f"the reference evaluator needs a value for {var!r}")
