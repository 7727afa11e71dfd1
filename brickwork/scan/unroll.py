"""Materialise scans as explicit, time-unrolled graphs.

``unroll(outputs, n)`` replaces every Scan node by ``n`` copies of its step
graph chained through the states, so the reference evaluator can walk the
unrolled DAG node by node; tests hold the compiled scan to it.
"""

from __future__ import annotations

from ..tensor.shape import stack
from ..tensor.variable import Variable
from ..tensor.walk import clone_replace, toposort
from .op import Scan


def unroll(outputs: list[Variable], n_steps: int) -> list[Variable]:
    """``outputs`` with each scan unrolled for ``n_steps`` steps (nested ones too).

    A scan whose length is known statically uses that length instead.
    """
    outputs = list(outputs)
    while True:
        scans = [node for node in toposort(outputs) if isinstance(node.op, Scan)]
        if not scans:
            return outputs
        node = scans[0]
        outputs = clone_replace(outputs, dict(zip(node.outputs, _unrolled(node, n_steps))))


def _unrolled(node, n_steps: int) -> list[Variable]:
    op: Scan = node.op
    _, seqs, states, free = op.split(node.inputs)
    initial = states
    length = node.outputs[0].type.shape[0] if not op.last[0] else None
    length = n_steps if length is None else length
    per_step: list[list[Variable]] = []
    for t in range(length - 1, -1, -1) if op.reverse else range(length):
        mapping = dict(zip(op.seq_in, [s[t] for s in seqs]))
        mapping.update(zip(op.state_in, states))
        mapping.update(zip(op.free, free))
        results = clone_replace(op.step_outputs, mapping)
        states = results[:op.n_states]
        per_step.append(results)
    if op.reverse:
        per_step.reverse()
    last_step = per_step[0] if op.reverse else per_step[-1]
    outputs = [last_step[k] if keep_last else stack([step[k] for step in per_step])
               for k, keep_last in enumerate(op.last)]
    for k in range(op.n_states if op.history else 0):
        values = [step[k] for step in per_step]
        outputs.append(stack(values + [initial[k]] if op.reverse else [initial[k]] + values))
    return outputs
