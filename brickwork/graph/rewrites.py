"""Graph rewrites applied when a function is compiled.

They never touch the user's graph: :func:`optimize` returns a new list of
steps ``(op, inputs, outputs)`` over canonical variables.

* constant folding: a pure op whose inputs are all constants (or whose value
  is known statically, such as the shape of a fully known input) is computed
  once, at compile time;
* common subexpression elimination: two applications of equal pure ops to the
  same inputs are computed once;
* identities (the copies bricks make to tag variables) are dropped;
* dead code elimination: only what the outputs need is kept;
* small results early: an op whose results are tiny (a shape, a scalar sum)
  runs as soon as its inputs exist, so that it does not keep a large input
  alive until late in the schedule;
* merging extensions: a node whose op computes everything another node's op
  computes on the same inputs, and more (``Op.extends``: a scan and its
  augmented copy made for the backward pass), runs in place of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor.shape import Identity
from ..tensor.variable import Constant, Node, Variable

Step = tuple[Any, list[Variable], list[Variable]]


def optimize(nodes: list[Node], outputs: list[Variable]) -> tuple[list[Step], list[Variable]]:
    """Fold, merge and prune ``nodes``; returns the steps and the new outputs."""
    canon: dict[int, Variable] = {}
    seen: dict[tuple, list[Variable]] = {}
    steps: list[Step] = []
    nodes = _merge_extensions(nodes, canon)
    for node in nodes:
        inputs = [canon.get(id(v), v) for v in node.inputs]
        op = node.op
        if isinstance(op, Identity):
            canon[id(node.outputs[0])] = inputs[0]
            continue
        folded = _fold(node, inputs) if op.pure else None
        if folded is not None:
            canon.update((id(o), c) for o, c in zip(node.outputs, folded))
            continue
        if op.pure:
            key = (op, tuple(_key(v) for v in inputs))
            if key in seen:
                canon.update((id(o), s) for o, s in zip(node.outputs, seen[key]))
                continue
            seen[key] = node.outputs
        steps.append((op, inputs, node.outputs))
    outputs = [canon.get(id(o), o) for o in outputs]
    return _small_results_early(_prune(steps, outputs)), outputs


def _fold(node: Node, inputs: list[Variable]) -> list[Constant] | None:
    if len(node.outputs) == 1:
        value = node.op.static_value(node, depth=0)
        if value is not None:
            return [Constant(value, dtype=node.outputs[0].type.dtype)]
    if not all(isinstance(v, Constant) for v in inputs):
        return None
    values = node.op.perform(*[v.value for v in inputs])
    if len(node.outputs) == 1:
        values = [values]
    return [Constant(np.asarray(v), dtype=o.type.dtype) for v, o in zip(values, node.outputs)]


def _key(v: Variable) -> Any:
    if isinstance(v, Constant) and v.value.size <= 64:
        return ("const", v.value.dtype.str, v.value.shape, v.value.tobytes())
    return id(v)


def _prune(steps: list[Step], outputs: list[Variable]) -> list[Step]:
    needed = {id(o) for o in outputs}
    kept = []
    for step in reversed(steps):
        if any(id(o) in needed for o in step[2]):
            kept.append(step)
            needed.update(id(i) for i in step[1])
    kept.reverse()
    return kept


def _small_results_early(steps: list[Step]) -> list[Step]:
    """Move each pure step with small results right after the step its inputs come from last.

    Each step gets a rank: its position, or for a small one the highest rank
    among the producers of its inputs; sorting by (rank, position) keeps
    every step after its inputs.
    """
    rank_of: dict[int, int] = {}
    keys = []
    for n, (op, ins, outs) in enumerate(steps):
        small = op.pure and all(None not in o.type.shape and np.prod(o.type.shape) <= 16 for o in outs)
        rank = max((rank_of.get(id(v), -1) for v in ins), default=-1) if small else n
        rank_of.update((id(o), rank) for o in outs)
        keys.append((rank, n))
    return [steps[n] for _, n in sorted(keys)]


def _merge_extensions(nodes: list[Node], canon: dict[int, Variable]) -> list[Node]:
    """Run each node whose op extends another (``Op.extends``) in place of that op's
    node on the same inputs: a scan and its augmented copy made for the backward pass
    run once, as the augmented one."""
    extending = {(id(n.op.extends), tuple(map(id, n.inputs))): n for n in nodes if n.op.extends is not None}
    if not extending:
        return nodes
    merged, done = [], set()
    for node in nodes:
        if id(node) in done:
            continue
        twin = extending.get((id(node.op), tuple(map(id, node.inputs))))
        if twin is not None:
            canon.update((id(o), t) for o, t in zip(node.outputs, twin.op.standing_for(twin, node)))
            node = twin
        done.add(id(node))
        merged.append(node)
    return merged
