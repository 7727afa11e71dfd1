"""A scan's step graph rebuilt for one call's shapes, and split into the work
before the loop and the work in it.

:func:`specialize` rebuilds the step on placeholders of exact shapes, so that
every shape in it is static: ``Shape`` nodes fold to constants and ``SumTo``
nodes that have nothing to sum disappear. It also regroups products so that
the factors that depend on no state come together: in ``(g * a_t) * b_t``
(``g`` a state, ``a_t`` and ``b_t`` sequence slices) it forms ``a_t * b_t``
first. Backpropagation through time is full of such products: the
derivative factors of the gates are saved forward values.

:func:`split` then finds the ops that read only sequence slices, free
variables and constants, and that can run on whole sequences at once: the
elementwise ops and ``x_t @ W``. They are *hoisted*: computed once over all
time steps before the loop (one large kernel instead of one small one per
step) and read in the loop as new sequences.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..tensor.elemwise import Cast, Elemwise, Mul
from ..tensor.linalg import MatMul
from ..tensor.shape import BroadcastTo, Identity, Reshape, SumTo
from ..tensor.variable import Constant, TensorType, Variable
from ..tensor.walk import toposort


def specialize(outputs: Sequence[Variable], replace: dict[Variable, Variable],
               states: Sequence[Variable]) -> list[Variable]:
    """``outputs`` rebuilt with each key of ``replace`` swapped for its value
    (placeholders of exact shapes), static shapes folded, no-op reshapes and
    sums dropped, and products regrouped around the new ``states``.

    Raises the GraphError of the first op whose inputs no longer fit.
    """
    nodes = toposort(outputs, stop_at=replace.keys())
    readers = Counter(id(v) for node in nodes for v in node.inputs)
    readers.update(id(v) for v in outputs)
    variant = {id(s) for s in states}
    mapping = {id(k): v for k, v in replace.items()}
    for node in nodes:
        inputs = [mapping.get(id(v), v) for v in node.inputs]
        if isinstance(node.op, Identity) or _is_noop(node.op, inputs):
            results = [inputs[0]]
        else:
            results = _rebuilt(node, inputs, variant, readers)
        if not node.op.pure or any(id(v) in variant for v in inputs):
            variant.update(id(v) for v in results)
        mapping.update((id(old), new) for old, new in zip(node.outputs, results))
    return [mapping.get(id(v), v) for v in outputs]


def _rebuilt(node, inputs: list[Variable], variant: set[int], readers: Counter) -> list[Variable]:
    if isinstance(node.op, Mul):
        regrouped = _regroup(node, inputs, variant, readers)
        if regrouped is not None:
            return [regrouped]
    new = node if all(a is b for a, b in zip(inputs, node.inputs)) else node.op.make_node(*inputs)
    if not node.op.pure or len(new.outputs) != 1:
        return new.outputs
    if all(isinstance(v, Constant) for v in inputs):
        value = node.op.perform(*[v.value for v in inputs])
    else:
        value = node.op.static_value(new) if hasattr(node.op, "static_value") else None
    return new.outputs if value is None else [Constant(value, dtype=new.outputs[0].type.dtype)]


def _is_noop(op, inputs: list[Variable]) -> bool:
    """A reshape, broadcast or sum to the shape its input has already."""
    if not isinstance(op, (SumTo, Reshape, BroadcastTo)) or not isinstance(inputs[1], Constant):
        return False
    shape = tuple(int(s) for s in inputs[1].value)
    return None not in inputs[0].type.shape and inputs[0].type.shape == shape


def _regroup(node, inputs: list[Variable], variant: set[int], readers: Counter) -> Variable | None:
    """``v * (s1 * s2)`` for ``(v * s1) * s2``, ``v`` variant, ``s1`` and ``s2`` not.

    Only when ``v * s1`` has no other reader; applied as the graph is rebuilt,
    so chains of such products collapse one factor at a time.
    """
    a, b = inputs
    if (id(a) in variant) == (id(b) in variant):
        return None
    position = 0 if id(a) in variant else 1
    product, factor = inputs[position], inputs[1 - position]
    owner = product.owner
    if readers[id(node.inputs[position])] != 1 or owner is None or not isinstance(owner.op, Mul):
        return None
    c, d = owner.inputs
    if (id(c) in variant) == (id(d) in variant):
        return None
    inner, outer = (c, d) if id(c) in variant else (d, c)
    return node.op(inner, node.op(outer, factor))


@dataclass
class Split:
    """A specialized step divided at the loop.

    Attributes
    ----------
    before : list of Variable
        Whole-sequence versions of the hoisted values the loop reads, computed
        from the whole ``sequences`` (placeholders ``(time, ...)``) and free
        variables.
    hoisted : list of Variable
        The same values at one time step: the loop reads them as sequences.
    sequences : list of int
        The original sequences the loop still reads, by position.
    """

    before: list[Variable]
    hoisted: list[Variable]
    sequences: list[int]


def split(outputs: Sequence[Variable], seq_in: Sequence[Variable], state_in: Sequence[Variable],
          free_in: Sequence[Variable], whole: Sequence[Variable]) -> Split:
    """Hoist what can run on whole sequences out of the step ``outputs``.

    ``whole`` holds a placeholder ``(time, ...)`` for each of ``seq_in``.
    """
    outside = {id(v) for v in free_in}
    full = {id(p): w for p, w in zip(seq_in, whole)}
    blocked = {id(v) for v in state_in}
    nodes = toposort(outputs, stop_at=list(seq_in) + list(state_in) + list(free_in))
    for node in nodes:
        if _hoistable(node, full, outside, blocked):
            inputs = [full.get(id(v), v) for v in node.inputs]
            full[id(node.outputs[0])] = node.op.make_node(*inputs).outputs[0]
        else:
            blocked.update(id(v) for v in node.outputs)
    hoisted = {}
    for v in [i for node in nodes if id(node.outputs[0]) in blocked for i in node.inputs] + list(outputs):
        if id(v) in full and v.owner is not None and not any(v is p for p in seq_in):
            hoisted.setdefault(id(v), v)
    loop_nodes = toposort(outputs, stop_at=list(seq_in) + list(hoisted.values()))
    read = {id(v) for node in loop_nodes for v in node.inputs} | {id(v) for v in outputs}
    return Split(before=[full[i] for i in hoisted], hoisted=list(hoisted.values()),
                 sequences=[i for i, p in enumerate(seq_in) if id(p) in read])


def _hoistable(node, full: dict[int, Variable], outside: set[int], blocked: set[int]) -> bool:
    """Whether ``node`` reads only sequences and outside values and runs on whole sequences."""
    op, inputs = node.op, node.inputs
    if not op.pure or len(node.outputs) != 1 or any(id(v) in blocked for v in inputs):
        return False
    from_sequences = [v for v in inputs if id(v) in full]
    if not from_sequences or any(id(v) not in full and id(v) not in outside and not isinstance(v, Constant)
                                 for v in inputs):
        return False
    out = node.outputs[0]
    if isinstance(op, (Elemwise, Cast)):
        # a leading time axis lines up with the step's axes only when no sequence value is broadcast up
        return all(v.ndim == out.ndim for v in from_sequences)
    if isinstance(op, MatMul):
        a, b = inputs
        return id(a) in full and id(b) not in full and b.ndim == 2
    return False


def whole_type(slice_type: TensorType) -> TensorType:
    """The type of a sequence whose slices have ``slice_type``."""
    return TensorType(slice_type.dtype, (None,) + slice_type.shape)
