"""Reverse-mode differentiation over the DAG.

The driver walks the nodes between ``wrt`` and ``cost`` once, last to first.
At each node it sums the gradients its outputs received (fan-out), asks the
op for its symbolic vjp, sums broadcast gradients back to each input's shape
(the only place broadcasting is undone) and passes them on. Integer inputs
and ``consider_constant`` variables receive nothing. Because every vjp is
built from ops, the gradient is itself a graph: it can be compiled,
differentiated again, or inspected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..errors import GradientError
from ..tensor.elemwise import add, cast
from ..tensor.indexing import IndexGrad, IndexInc
from ..tensor.shape import sum_to, zeros_like
from ..tensor.sites import building
from ..tensor.variable import Constant, Variable, as_variable
from ..tensor.walk import toposort
from .gcpause import gc_paused


@gc_paused
def grad(cost: Variable | None, wrt: Variable | Iterable[Variable],
         consider_constant: Iterable[Variable] | None = None,
         known_grads: Mapping[Variable, Variable] | None = None,
         disconnected_inputs: str = "raise") -> Variable | list[Variable]:
    """Symbolic gradients of the scalar ``cost`` with respect to ``wrt``.

    Parameters
    ----------
    cost : Variable (scalar, float) or None
        None is allowed when ``known_grads`` seeds the backward pass.
    wrt : Variable or list of Variable
        Float variables of the graph; a single variable gives a single gradient.
    consider_constant : list of Variable, optional
        Variables through which no gradient flows.
    known_grads : dict, optional
        Gradients already known for some variables (added to those from cost).
    disconnected_inputs : {'raise', 'zero'}
        What to do for a ``wrt`` that ``cost`` does not depend on.

    Returns
    -------
    Variable or list of Variable, each shaped like its ``wrt``.
    """
    single = isinstance(wrt, Variable)
    wrt = [wrt] if single else list(wrt)
    seeds = _seeds(cost, known_grads or {})
    for w in wrt:
        if w.type.dtype.kind not in "fc":
            raise GradientError(f"cannot differentiate with respect to {w!r}: "
                                f"its dtype {w.dtype} is not a float")
    constants = {id(v) for v in consider_constant or ()}
    nodes = toposort([v for v, _ in seeds], stop_at=consider_constant or ())
    relevant = _depends_on(nodes, wrt, constants)
    pending: dict[int, list[Variable]] = {}
    for var, g in seeds:
        pending.setdefault(id(var), []).append(g)
    for node in reversed(nodes):
        if any(id(o) in relevant for o in node.outputs):
            _backprop_node(node, pending, relevant, constants)
    out = [_result(w, pending, relevant, disconnected_inputs) for w in wrt]
    return out[0] if single else out


def _seeds(cost: Variable | None, known_grads: Mapping) -> list[tuple[Variable, Variable]]:
    seeds = []
    if cost is not None:
        if cost.ndim != 0:
            raise GradientError(f"the cost must be a scalar, got {cost!r} with "
                                f"{cost.ndim} axes (take .sum() or .mean() first)")
        if cost.type.dtype.kind not in "fc":
            raise GradientError(f"the cost must be a float, got dtype {cost.dtype}")
        seeds.append((cost, Constant(1.0, dtype=cost.dtype)))
    for var, g in known_grads.items():
        seeds.append((var, cast(as_variable(g), var.dtype)))
    if not seeds:
        raise GradientError("grad needs a cost or known_grads")
    return seeds


def _depends_on(nodes, wrt, constants) -> set[int]:
    """Ids of the variables through which a gradient can reach ``wrt``."""
    relevant = {id(w) for w in wrt}
    for node in nodes:
        if any(id(i) in relevant and id(i) not in constants for i in node.inputs):
            relevant.update(id(o) for o in node.outputs)
    return relevant


def _total(var: Variable, pending: dict) -> Variable | None:
    """The sum of the gradients ``var`` received; slices are added in place."""
    parts = pending.get(id(var))
    if not parts:
        return None
    slices = [p for p in parts if p.owner is not None and isinstance(p.owner.op, IndexGrad)]
    others = [p for p in parts if not any(p is s for s in slices)]
    total = others[0] if others else slices.pop(0)
    for part in others[1:]:
        total = add(total, part)
    for part in slices if len(parts) > 1 else ():
        g, _, *index = part.owner.inputs
        total = IndexInc(part.owner.op.spec)(total, g, *index)
    pending[id(var)] = [total]
    return total


def _backprop_node(node, pending, relevant, constants) -> None:
    out_grads = [_total(o, pending) for o in node.outputs]
    if all(g is None for g in out_grads):
        return
    out_grads = [zeros_like(o) if g is None else g for o, g in zip(node.outputs, out_grads)]
    with building(node.site):  # gradient nodes belong to the application of the node
        in_grads = node.op.vjp(node, out_grads)
    if len(in_grads) != len(node.inputs):
        raise GradientError(f"{node.op!r}.vjp returned {len(in_grads)} gradients "
                            f"for {len(node.inputs)} inputs")
    for x, g in zip(node.inputs, in_grads):
        if g is None or id(x) not in relevant or id(x) in constants:
            continue
        if x.type.dtype.kind not in "fc":
            continue
        if node.op.broadcasts and len(node.inputs) > 1:
            g = sum_to(g, x)
        if g.ndim != x.ndim:
            raise GradientError(f"{node.op!r}.vjp gave a gradient of type {g.type!r} "
                                f"for an input of type {x.type!r}")
        pending.setdefault(id(x), []).append(cast(g, x.dtype))


def _result(w: Variable, pending: dict, relevant: set, mode: str) -> Variable:
    g = _total(w, pending)
    if g is not None:
        return g
    if mode == "zero":
        return zeros_like(w)
    raise GradientError(f"the cost does not depend on {w!r} (pass "
                        "disconnected_inputs='zero' to get zeros instead)")
