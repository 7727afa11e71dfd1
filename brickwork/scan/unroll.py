"""A scan written out as an explicit graph of its steps.

Each step is a copy of the step graph, chained to the previous one through
the states; stacked outputs are stacked again, and the histories carry the
initial states. The reference evaluator walks such a graph node by node, and
the tests hold the compiled loop to it (through
:func:`brickwork.graph.unroll.unroll`, which asks every op for
:meth:`~brickwork.tensor.op.Op.unrolled`).
"""

from __future__ import annotations

from typing import Any

from ..tensor.shape import stack
from ..tensor.variable import Node, Variable
from ..tensor.walk import clone_replace


def unrolled(op: Any, node: Node, n_steps: int) -> list[Variable]:
    """The outputs of ``node`` (a Scan node of ``op``) for ``n_steps`` steps, or its
    static length when it has one, as a graph without the scan."""
    parts = op.signature.inputs(node.inputs)
    length = node.outputs[0].type.shape[0] if not op.last[0] else None
    length = n_steps if length is None else length
    per_step = _steps(op, parts, length)
    last_step = per_step[0] if op.reverse else per_step[-1]
    outputs = [last_step[k] if keep_last else stack([step[k] for step in per_step])
               for k, keep_last in enumerate(op.last)]
    return outputs + [_history([step[k] for step in per_step], initial, op.reverse)
                      for k, initial in enumerate(parts.states) if op.history]


def _steps(op: Any, parts: Any, length: int) -> list[list[Variable]]:
    """The step outputs of each time step, in time order."""
    states, per_step = parts.states, []
    for t in range(length - 1, -1, -1) if op.reverse else range(length):
        mapping = dict(zip(op.seq_in, [s[t] for s in parts.sequences]))
        mapping.update(zip(op.state_in, states))
        mapping.update(zip(op.free, parts.free))
        results = clone_replace(op.step_outputs, mapping)
        states = op.signature.new_states(results)
        per_step.append(results)
    return per_step[::-1] if op.reverse else per_step


def _history(values: list[Variable], initial: Variable, reverse: bool) -> Variable:
    """A state's values with its initial one, in time order."""
    return stack(values + [initial] if reverse else [initial] + values)
