"""Merging a step's matrix products: one BLAS call where the step makes two.

A GRU's step multiplies its state by two weight matrices (gates and
candidate), and its backward step adds two products of gradients by their
transposes. Per time step, each product is a BLAS call whose cost, for the
sizes of recurrent networks, is largely its fixed overhead and a pass over
the state. So, in a step specialized to its shapes:

* products of one state by loop-invariant matrices become one product by
  the matrices joined along their columns, read back as column slices
  (the join runs once, before the loop: :mod:`brickwork.scan.hoist`);
* a sum of two products by loop-invariant matrices, ``a @ A + b @ B``,
  becomes ``[a, b] @ [A; B]`` (the rows of ``a`` and ``b`` joined along their
  columns, which a fused kernel writes in place).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..tensor.elemwise import Add
from ..tensor.linalg import MatMul
from ..tensor.shape import concatenate
from ..tensor.variable import Constant, Node, Variable
from ..tensor.walk import clone_replace, toposort


def merge_products(outputs: Sequence[Variable], states: Sequence[Variable],
                   free: Sequence[Variable]) -> list[Variable]:
    """``outputs`` of a step with its products merged (see the module doc)."""
    nodes = toposort(list(outputs), stop_at=list(states) + list(free))
    invariant = {id(v) for v in free}
    replace = _same_state(nodes, {id(s) for s in states}, invariant)
    if replace:
        outputs = clone_replace(list(outputs), replace)
        nodes = toposort(list(outputs), stop_at=list(states) + list(free))
    readers: dict[int, int] = {}
    for node in nodes:
        for v in node.inputs:
            readers[id(v)] = readers.get(id(v), 0) + 1
    summed = _summed(nodes, invariant, readers)
    return clone_replace(list(outputs), summed) if summed else list(outputs)


def _by_invariant(node: Node, invariant: set[int]) -> bool:
    """Whether ``node`` is a matrix product by a loop-invariant matrix."""
    if not isinstance(node.op, MatMul) or node.inputs[0].ndim not in (1, 2) or node.inputs[1].ndim != 2:
        return False
    weights = node.inputs[1]
    return (id(weights) in invariant or isinstance(weights, Constant)) and None not in weights.type.shape


def _same_state(nodes: list[Node], states: set[int], invariant: set[int]) -> dict[Variable, Variable]:
    groups: dict[int, list[Node]] = {}
    for node in nodes:
        if _by_invariant(node, invariant) and id(node.inputs[0]) in states:
            groups.setdefault(id(node.inputs[0]), []).append(node)
    replace = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        state = group[0].inputs[0]
        product = state @ concatenate([n.inputs[1] for n in group], axis=1)
        start = 0
        for node in group:
            stop = start + node.inputs[1].type.shape[1]
            replace[node.outputs[0]] = _columns(product, start, stop)
            start = stop
    return replace


def _summed(nodes: list[Node], invariant: set[int], readers: dict[int, int]) -> dict[Variable, Variable]:
    """Each sum (a tree of additions) with two products by invariant matrices or more
    among its terms, rewritten with one product."""
    inner = {id(v) for node in nodes if isinstance(node.op, Add) for v in node.inputs
             if v.owner is not None and isinstance(v.owner.op, Add) and readers[id(v)] == 1}
    replace = {}
    for node in nodes:
        if not isinstance(node.op, Add) or id(node.outputs[0]) in inner:
            continue
        terms = _terms(node, readers)
        products = [t for t in terms if t.owner is not None and _by_invariant(t.owner, invariant)
                    and readers[id(t)] == 1 and _stackable(t.owner, terms[0].type)]
        if len(products) < 2 or not all(_stackable(p.owner, products[0].owner.inputs[0].type) for p in products):
            continue
        total = (concatenate([p.owner.inputs[0] for p in products], axis=-1)
                 @ concatenate([p.owner.inputs[1] for p in products], axis=0))
        for term in terms:
            if not any(term is p for p in products):
                total = total + term
        replace[node.outputs[0]] = total
    return replace


def _terms(node: Node, readers: dict[int, int]) -> list[Variable]:
    """The terms of the sum ``node`` is the top of: its inputs, expanded where they are
    additions read by it alone."""
    terms, stack = [], list(reversed(node.inputs))
    while stack:
        v = stack.pop()
        if v.owner is not None and isinstance(v.owner.op, Add) and readers[id(v)] == 1:
            stack.extend(reversed(v.owner.inputs))
        else:
            terms.append(v)
    return terms


def _stackable(product: Node, like: Any) -> bool:
    """Whether the left factor of ``product`` has the shape and dtype of ``like``
    (so that factors join along their last axis), all sizes known."""
    a = product.inputs[0].type
    return a.dtype == like.dtype and a.shape[:-1] == like.shape[:-1] and None not in a.shape


def _columns(x: Variable, start: int, stop: int) -> Variable:
    return x[(slice(None),) * (x.ndim - 1) + (slice(start, stop),)]
