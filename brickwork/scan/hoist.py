"""A scan's step graph rebuilt for one call's shapes, and split into the work
before the loop and the work in it.

:func:`specialize` rebuilds the step on placeholders of exact shapes, so that
every shape in it is static: ``Shape`` nodes fold to constants and ``SumTo``
nodes that have nothing to sum disappear. It also regroups products so that
the factors that depend on no state come together: in ``(g * a_t) * b_t``
(``g`` a state, ``a_t`` and ``b_t`` sequence slices) it forms ``a_t * b_t``
first. Backpropagation through time is full of such products: the
derivative factors of the gates are saved forward values. And it turns the
gradient of slices that cut one array into pieces (the gates of an LSTM) into
one concatenation, instead of zeros and one addition per piece.

:func:`invariant` moves out of the loop what reads only free variables and
constants (the joined weights of merged products, :mod:`brickwork.scan.products`):
it is computed once per call and read in the loop as a free value.

:func:`split` then finds the ops that read only sequence slices, free
variables and constants, and that can run on whole sequences at once: the
elementwise ops and ``x_t @ W``, on per-step arrays small enough that the
cost of a kernel call dominates. They are *hoisted*: computed once over all
time steps before the loop (one large kernel instead of one small one per
step) and read in the loop as new sequences.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..tensor.elemwise import Cast, Elemwise, Mul
from ..tensor.indexing import IndexGrad, IndexInc, unit_slice
from ..tensor.linalg import MatMul
from ..tensor.shape import BroadcastTo, Identity, Reshape, SumTo, concatenate
from ..tensor.variable import Constant, TensorType, Variable
from ..tensor.walk import clone_replace, toposort

# Hoisting pays where a kernel call costs more than the work it does: for small
# per-step arrays. For large ones, one pass over a whole sequence streams it
# through memory, where the same op inside the loop works on data in cache
# (measured on the benchmarks' LSTMs: a gain up to 64 x 256 values per step,
# a loss at 128 x 1024).
HOIST_MAX_SIZE = 32768


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
    rewritten = None
    if isinstance(node.op, Mul):
        rewritten = _regroup(node, inputs, variant, readers)
    elif isinstance(node.op, IndexInc):
        rewritten = _gathered(node, inputs)
    if rewritten is not None:
        return [rewritten]
    new = node if all(a is b for a, b in zip(inputs, node.inputs)) else node.op.make_node(*inputs)
    if not node.op.pure or len(new.outputs) != 1:
        return new.outputs
    if all(isinstance(v, Constant) for v in inputs):
        value = node.op.perform(*[v.value for v in inputs])
    else:
        value = node.op.static_value(new, depth=0)
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


def _gathered(node, inputs: list[Variable]) -> Variable | None:
    """``IndexInc(... IndexInc(IndexGrad(g0, shape, s0), g1, s1) ..., gn, sn)`` as one
    concatenation, when the slices ``s0 ... sn`` cut one axis into adjacent pieces.

    That is how the gradient of the gates of an LSTM, sliced out of one
    array, comes together: one kernel instead of zeros and ``n`` additions.
    """
    pieces, x = [(node.op.spec, inputs[1])], inputs[0]
    while x.owner is not None and isinstance(x.owner.op, IndexInc) and len(x.owner.inputs) == 2:
        pieces.append((x.owner.op.spec, x.owner.inputs[1]))
        x = x.owner.inputs[0]
    if len(inputs) != 2 or x.owner is None or not isinstance(x.owner.op, IndexGrad) or len(x.owner.inputs) != 2:
        return None
    pieces.append((x.owner.op.spec, x.owner.inputs[0]))
    shape = x.type.shape
    if None in shape:
        return None
    cuts = [unit_slice(spec, shape) for spec, _ in pieces]
    if None in cuts or len({axis for axis, _, _ in cuts}) != 1:
        return None
    axis = cuts[0][0]
    order = sorted(range(len(pieces)), key=lambda i: cuts[i][1])
    edges = [0] + [cuts[i][2] for i in order]
    if [cuts[i][1] for i in order] != edges[:-1] or edges[-1] != shape[axis]:
        return None
    for i in order:
        want = shape[:axis] + (cuts[i][2] - cuts[i][1],) + shape[axis + 1:]
        if pieces[i][1].type.shape != want:
            return None
    return concatenate([pieces[i][1] for i in order], axis=axis)


def invariant(outputs: Sequence[Variable], free_in: Sequence[Variable]
              ) -> tuple[list[Variable], list[Variable], list[Variable]]:
    """The step ``outputs`` with the values that read only ``free_in`` and constants
    replaced by new free placeholders; returns the new outputs, the values (in terms
    of ``free_in``) and their placeholders."""
    outside = {id(v) for v in free_in}
    nodes = toposort(list(outputs), stop_at=list(free_in))
    for node in nodes:
        if node.op.pure and all(id(v) in outside or isinstance(v, Constant) for v in node.inputs):
            outside.update(id(v) for v in node.outputs)
    free_ids = {id(v) for v in free_in}
    read_inside = [v for node in nodes if not all(id(o) in outside for o in node.outputs) for v in node.inputs]
    values = {id(v): v for v in read_inside + list(outputs)
              if id(v) in outside and id(v) not in free_ids and v.owner is not None}
    if not values:
        return list(outputs), [], []
    placeholders = {i: Variable(v.type, name=v.name) for i, v in values.items()}
    replace = {values[i]: p for i, p in placeholders.items()}
    return clone_replace(list(outputs), replace), list(values.values()), list(placeholders.values())


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
          free_in: Sequence[Variable], whole: Sequence[Variable], elementwise: bool = True) -> Split:
    """Hoist what can run on whole sequences out of the step ``outputs``.

    ``whole`` holds a placeholder ``(time, ...)`` for each of ``seq_in``.
    ``elementwise=False`` hoists products only: in a fused kernel, elementwise
    work on sequence values costs less than reading it back from memory.
    """
    outside = {id(v) for v in free_in}
    full = {id(p): w for p, w in zip(seq_in, whole)}
    blocked = {id(v) for v in state_in}
    nodes = toposort(outputs, stop_at=list(seq_in) + list(state_in) + list(free_in))
    for node in nodes:
        if _hoistable(node, full, outside, blocked) and (elementwise or isinstance(node.op, MatMul)):
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
    if None in out.type.shape or np.prod(out.type.shape) > HOIST_MAX_SIZE:
        return False
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
