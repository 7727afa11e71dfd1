"""Materialise loops as explicit, time-unrolled graphs.

``unroll(outputs, n)`` replaces every node of an op that runs a graph in a
loop (a scan) by ``n`` copies of its inner graph, as the op writes it out
(:meth:`~brickwork.tensor.op.Op.unrolled`), so the reference evaluator can
walk the unrolled DAG node by node; tests hold the compiled loops to it.
"""

from __future__ import annotations

from ..tensor.variable import Variable
from ..tensor.walk import clone_replace, toposort


def unroll(outputs: list[Variable], n_steps: int) -> list[Variable]:
    """``outputs`` with each loop unrolled for ``n_steps`` steps (nested ones too).

    A loop whose length is known statically uses that length instead.
    """
    outputs = list(outputs)
    while True:
        for node in toposort(outputs):
            written_out = node.op.unrolled(node, n_steps)
            if written_out is not None:
                outputs = clone_replace(outputs, dict(zip(node.outputs, written_out)))
                break
        else:
            return outputs
