"""Iterative walks over the graph: no recursion, so depth is unlimited."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace

from .variable import Node, Variable


def toposort(outputs: Iterable[Variable], stop_at: Iterable[Variable] = ()) -> list[Node]:
    """The nodes that compute ``outputs``, each after the nodes it reads.

    The walk does not go past variables in ``stop_at`` (they count as inputs).
    """
    stops = {id(v) for v in stop_at}
    order: list[Node] = []
    seen: set[int] = set()
    stack = [(v.owner, False) for v in outputs if v.owner is not None and id(v) not in stops]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for var in reversed(node.inputs):
            if var.owner is not None and id(var.owner) not in seen and id(var) not in stops:
                stack.append((var.owner, False))
    return order


def variables(outputs: Iterable[Variable], stop_at: Iterable[Variable] = ()) -> list[Variable]:
    """Every variable ``outputs`` depend on, in topological order (inputs first)."""
    outputs = list(outputs)
    found: dict[int, Variable] = {}
    for node in toposort(outputs, stop_at):
        for var in node.inputs:
            found.setdefault(id(var), var)
        for var in node.outputs:
            found.setdefault(id(var), var)
    for var in outputs:
        found.setdefault(id(var), var)
    return list(found.values())


def clone_replace(outputs: list[Variable], replace: dict[Variable, Variable]) -> list[Variable]:
    """``outputs`` rebuilt with each key of ``replace`` swapped for its value.

    Only nodes downstream of a replaced variable are rebuilt (their ops infer
    types anew); the rest of the graph is shared with the original.
    """
    return clone_with_mapping(outputs, replace)[0]


def clone_with_mapping(outputs: list[Variable], replace: dict[Variable, Variable]
                       ) -> tuple[list[Variable], dict[int, Variable]]:
    """As :func:`clone_replace`, also returning ``{id(original): copy}``."""
    mapping = {id(k): v for k, v in replace.items()}
    for node in toposort(outputs, stop_at=replace.keys()):
        inputs = [mapping.get(id(v), v) for v in node.inputs]
        if all(a is b for a, b in zip(inputs, node.inputs)):
            continue
        new = node.op.make_node(*inputs)
        new.site = node.site
        for old, fresh in zip(node.outputs, new.outputs):
            fresh.name = old.name
            fresh.tag = SimpleNamespace(**{
                k: list(v) if isinstance(v, list) else v for k, v in vars(old.tag).items()})
            mapping[id(old)] = fresh
    return [mapping.get(id(v), v) for v in outputs], mapping
