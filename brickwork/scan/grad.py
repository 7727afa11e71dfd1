"""Backpropagation through time: the vjp of :class:`~brickwork.scan.op.Scan`.

The gradient of a scan is a scan of the step's vjp over the reversed time
axis. Its sequences are the forward sequences, the state each forward step
read, the incoming gradients of the stacked outputs, and the forward
activations the vjp needs; its states are the gradient carried into each
previous state and one accumulator per free variable; its stacked outputs
are the gradients of the sequences. Three things keep it close to a
hand-written backward loop:

* *saved activations*: the forward values the vjp reads (gate outputs, say)
  become extra stacked outputs of the forward scan instead of being
  recomputed; the compiler runs that augmented forward scan in place of the
  plain one (see :mod:`brickwork.graph.rewrites`);
* *weight gradients after the loop*: a free variable whose per-step gradient
  is ``a_t.T @ g_t``, with ``a_t`` available as a sequence, gets it as one
  matrix product over all time steps after the loop, not ``T`` small ones;
* free variables enter the vjp as fresh leaves, so each gets its partial
  derivative even when one is computed from another (``W`` and ``W.T``).
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import GradientError
from ..graph.grad import grad
from ..tensor.elemwise import Elemwise
from ..tensor.indexing import Index
from ..tensor.linalg import MatMul
from ..tensor.shape import Alloc, Identity, Shape, SumTo, Transpose, reshape, shape, zeros_like
from ..tensor.variable import Constant, Node, TensorType, Variable
from ..tensor.walk import clone_replace, clone_with_mapping, toposort
from .op import Scan
from .signature import ScanInputs
from .trace import scan


class _Hoisted(NamedTuple):
    """A free variable whose gradient is one product over time, after the loop:
    ``sum_t a_t.T @ g_t``, with ``a_t`` read as a sequence of the backward scan."""

    free: int  # its position among the free variables
    source: str  # where ``a`` comes from: 'seq' (a forward sequence), 'prev' (a state read), 'saved'
    index: int  # its position there


class _Saved(NamedTuple):
    """A forward value the backward step reads: the value the forward scan stacks, and
    the constant slices of it the step reads (one gate of several computed together)."""

    value: Variable
    slices: tuple


class _BackwardResults(NamedTuple):
    """The outputs of the backward scan, by part."""

    d_inits: list[Variable]  # the gradient carried back to each initial state
    d_accumulated: list[Variable]  # one per accumulated free variable
    d_sequences: list[Variable]  # one per float sequence, stacked
    g_hoisted: list[Variable]  # per hoisted free variable: the stacked ``g_t`` of its product


def scan_vjp(op: Scan, node: Node, grads: list[Variable]) -> list[Variable | None]:
    """Gradients of the inputs of ``node`` (a Scan) given those of its outputs."""
    inputs = op.signature.inputs(node.inputs)
    per_step, to_inits = _incoming(op, grads)
    stacked = sorted(per_step)
    trace = _BackwardStep(op, inputs.sequences, inputs.free, [per_step[k] for k in stacked], stacked)
    saved, histories = _saved_values(op, node, trace)
    # the state each step read: a view of the history
    sources = {"seq": inputs.sequences, "prev": [h[1:] if op.reverse else h[:-1] for h in histories],
               "saved": saved}
    backward = _backward_scan(op, trace, inputs, sources, [per_step[k] for k in stacked], grads)
    d_free: list[Variable | None] = [None] * len(inputs.free)
    for i, d in zip(trace.accumulated, backward.d_accumulated):
        d_free[i] = d
    for hoisted, g in zip(trace.hoisted, backward.g_hoisted):
        d_free[hoisted.free] = _product_over_time(sources[hoisted.source][hoisted.index], g)
    d_seqs: list[Variable | None] = [None] * len(inputs.sequences)
    for i, d in zip(trace.d_seq_at, backward.d_sequences):
        d_seqs[i] = d
    d_inits = [(d if extra is None else d + extra) if _is_float(init) else None
               for d, extra, init in zip(backward.d_inits, to_inits, inputs.states)]
    return op.signature.join_inputs(ScanInputs(None, d_seqs, d_inits, d_free))


def _saved_values(op: Scan, node: Node, trace: _BackwardStep) -> tuple[list[Variable], list[Variable]]:
    """The forward values the backward step reads, stacked over time, and the history
    of every state, from the augmented forward scan (and the last of the saved shapes,
    which ``trace`` reads)."""
    originals = list({id(saved.value): saved.value for saved in trace.saved}.values())
    forward = _forward_values(op, node, originals, trace.saved_shapes)
    trace.shape_values = forward.shapes
    by_source = {id(v): stacked for v, stacked in zip(originals, forward.values)}
    return [_over_time(by_source[id(saved.value)], saved.slices) for saved in trace.saved], forward.histories


def _backward_scan(op: Scan, trace: _BackwardStep, inputs: ScanInputs, sources: dict,
                   incoming: list[Variable], grads: list[Variable]) -> _BackwardResults:
    """The scan of the step's vjp over reversed time."""
    carries = [grads[k] if op.last[k] else zeros_like(init) for k, init in enumerate(inputs.states)]
    accumulators = [zeros_like(inputs.free[i]) for i in trace.accumulated]
    n_carry, n_seq = len(carries) + len(accumulators), len(trace.d_seq_at)
    results = scan(trace.step, sequences=inputs.sequences + sources["prev"] + incoming + sources["saved"],
                   states=carries + accumulators, reverse=not op.reverse,
                   last=[True] * n_carry + [False] * (n_seq + len(trace.hoisted)))
    return _BackwardResults(results[:len(carries)], results[len(carries):n_carry],
                            results[n_carry:n_carry + n_seq], results[n_carry + n_seq:])


class _StepGradients(NamedTuple):
    """What the backward step computes at one time step: the gradients of the previous
    states, of the float free variables and of the float sequence slices."""

    prev: list[Variable]
    free: list[Variable]
    seqs: list[Variable]

    def flat(self) -> list[Variable]:
        return self.prev + self.free + self.seqs

    def like(self, flat: list[Variable]) -> _StepGradients:
        """``flat`` (laid out as :meth:`flat`) by part."""
        n_prev, n_free = len(self.prev), len(self.free)
        return _StepGradients(flat[:n_prev], flat[n_prev:n_prev + n_free], flat[n_prev + n_free:])


class _BackwardStep:
    """The step of the backward scan, traced once on placeholders of its own.

    Sequence placeholders, in order: forward sequences ``x``, previous states
    ``prev``, incoming gradients ``g``, saved activations ``s``; state
    placeholders: carried state gradients, then accumulators.
    """

    def __init__(self, op: Scan, seqs: list[Variable], free: list[Variable],
                 stacked_grads: list[Variable], stacked: list[int]):
        self.x = [Variable(TensorType(s.type.dtype, s.type.shape[1:])) for s in seqs]
        self.prev = [Variable(v.type) for v in op.state_in]
        self.g = [Variable(TensorType(g.type.dtype, g.type.shape[1:])) for g in stacked_grads]
        self.carries = [Variable(v.type) for v in op.state_in]
        self.d_seq_at = [i for i, s in enumerate(seqs) if _is_float(s)]
        leaves = [Variable(f.type, name=f.name) for f in op.free]
        d_free_at = [i for i, f in enumerate(op.free) if _is_float(f)]
        gradients, clones = self._step_gradients(op, leaves, d_free_at, stacked)
        saved, placeholders, flat = _cut_at_forward_values(op, clones, gradients.flat(), self.placeholders + leaves)
        self._keep_saved(saved, placeholders)
        gradients = gradients.like(flat)
        hoisted_g = self._split_free(op, d_free_at, gradients.free)
        new_accumulators = [a + d for a, d in self.accumulators]
        self.targets = clone_replace(gradients.prev + new_accumulators + gradients.seqs + hoisted_g,
                                     dict(zip(leaves, free)))

    @property
    def placeholders(self) -> list[Variable]:
        return self.x + self.prev + self.g + self.carries

    def _step_gradients(self, op: Scan, leaves: list[Variable], d_free_at: list[int],
                        stacked: list[int]) -> tuple[_StepGradients, dict]:
        """The vjp of one forward step on this step's placeholders (free variables as
        fresh ``leaves``), and the map from forward variables to their copies."""
        outs, clones = clone_with_mapping(op.step_outputs, dict(zip(op.seq_in, self.x))
                                          | dict(zip(op.state_in, self.prev)) | dict(zip(op.free, leaves)))
        wrt = [self.x[i] for i in self.d_seq_at] + self.prev + [leaves[i] for i in d_free_at]
        gs = grad(None, wrt, known_grads=_seed(outs, stacked, self.g, self.carries), disconnected_inputs="zero")
        n_x = len(self.d_seq_at)
        return _StepGradients(gs[n_x:n_x + op.n_states], gs[n_x + op.n_states:], gs[:n_x]), clones

    def _keep_saved(self, saved: list[_Saved], placeholders: list[Variable]) -> None:
        """Record the forward values to save and their placeholders; shapes do not change
        from step to step, so the last one serves every step."""
        shapes = {i for i, one in enumerate(saved) if one.value.owner is not None
                  and isinstance(one.value.owner.op, Shape)}
        self.saved = [v for i, v in enumerate(saved) if i not in shapes]
        self.s = [p for i, p in enumerate(placeholders) if i not in shapes]
        self.saved_shapes = [saved[i].value for i in sorted(shapes)]
        self.shape_placeholders = [placeholders[i] for i in sorted(shapes)]
        self.shape_values: list[Variable] = []

    def _split_free(self, op: Scan, d_free_at: list[int], d_free: list[Variable]) -> list[Variable]:
        """Sort the free variables' gradients into hoisted products and accumulators;
        returns the per-step ``g`` of each hoisted product."""
        self.hoisted: list[_Hoisted] = []
        self.accumulated: list[int] = []
        self.accumulators: list[tuple[Variable, Variable]] = []
        hoisted_g = []
        for i, d in zip(d_free_at, d_free):
            product = self._outer_product_over_batch(d)
            if product is not None:
                self.hoisted.append(_Hoisted(i, *product[0]))
                hoisted_g.append(product[1])
            else:
                self.accumulated.append(i)
                self.accumulators.append((Variable(op.free[i].type), d))
        return hoisted_g

    def _outer_product_over_batch(self, d: Variable):
        """``((source, index), g)`` when ``d`` is ``a.T @ g`` with ``a`` a sequence slice."""
        owner = d.owner
        if owner is not None and isinstance(owner.op, SumTo) and owner.inputs[0].ndim == d.ndim:
            owner = owner.inputs[0].owner
        if owner is None or not isinstance(owner.op, MatMul):
            return None
        a_t, g = owner.inputs
        if a_t.owner is None or not isinstance(a_t.owner.op, Transpose) or a_t.ndim != 2 or g.ndim != 2:
            return None
        a = a_t.owner.inputs[0]
        for source, group in (("seq", self.x), ("prev", self.prev), ("saved", self.s)):
            for index, placeholder in enumerate(group):
                if a is placeholder:
                    return (source, index), g
        return None

    def step(self, *args: Variable) -> list[Variable]:
        placeholders = self.x + self.prev + self.g + self.s + self.carries + [a for a, _ in self.accumulators]
        mapping = dict(zip(placeholders, args)) | dict(zip(self.shape_placeholders, self.shape_values))
        return clone_replace(self.targets, mapping)


def _cut_at_forward_values(op: Scan, clones: dict, targets: list[Variable], stops: list[Variable]):
    """Replace the recomputed forward values the vjp reads by new placeholders.

    Returns the original forward variables to save (each value once: copies
    made by identities are traced back to what they copy), their
    placeholders, and the targets rewritten to read the placeholders.
    """
    inner = toposort(op.step_outputs, stop_at=op.seq_in + op.state_in + op.free)
    forward = {id(clones.get(id(v), v)): v for node in inner for v in node.outputs}
    shapes: dict[int, Variable] = {}
    cut: dict[int, Variable] = {}
    for node in toposort(targets, stop_at=stops):
        if id(node.outputs[0]) in forward:
            continue
        if isinstance(node.op, Shape) and id(node.inputs[0]) in forward:
            # save the shape of a forward value, not the value itself
            source = _same_shape_source(forward[id(node.inputs[0])])
            forward[id(node.outputs[0])] = shapes.setdefault(id(source), shape(source))
            continue
        cut.update((id(v), v) for v in node.inputs if id(v) in forward)
    cut.update((id(v), v) for v in targets if id(v) in forward)
    inner_ids = {id(v) for node in inner for v in node.outputs}
    saved: dict[tuple, tuple[_Saved, Variable]] = {}
    replacements = {}
    for clone_id, clone in cut.items():
        source, specs = _view_source(forward[clone_id], inner_ids)
        key = (id(source), specs)
        replacements[clone] = saved.setdefault(key, (_Saved(source, specs), Variable(clone.type)))[1]
    rewritten = clone_replace(targets, replacements)
    return [o for o, _ in saved.values()], [p for _, p in saved.values()], rewritten


def _view_source(v: Variable, inner_ids: set[int]) -> tuple[Variable, tuple]:
    """The forward value ``v`` is a copy or a constant slice of, and the slices.

    Each value is saved once: an identity copy is the value it copies, and a
    slice (one gate of several computed together, say) is taken of the saved
    value outside the loop, a view, instead of being stacked on its own.
    """
    specs: list[tuple] = []
    while v.owner is not None and id(v.owner.inputs[0]) in inner_ids and _is_float(v):
        if isinstance(v.owner.op, Index) and len(v.owner.inputs) == 1:
            specs.insert(0, v.owner.op.spec)
        elif not isinstance(v.owner.op, Identity):
            break
        v = v.owner.inputs[0]
    return v, tuple(specs)


def _over_time(stacked: Variable, specs: tuple) -> Variable:
    """``stacked`` ``(time, ...)`` sliced at every step by ``specs``."""
    for spec in specs:
        stacked = Index((("slice", None, None, None),) + spec)(stacked)
    return stacked


def _same_shape_source(v: Variable) -> Variable:
    """The earliest variable with ``v``'s shape through identities and one-input elementwise ops."""
    while v.owner is not None and len(v.owner.inputs) == 1 and isinstance(v.owner.op, (Identity, Elemwise)):
        v = v.owner.inputs[0]
    return v


def _incoming(op: Scan, grads: list[Variable]) -> tuple[dict[int, Variable], list[Variable | None]]:
    """The gradients arriving at each time step, by step output, and those of the
    initial states that come from the histories."""
    per_step = {k: grads[k] for k, keep_last in enumerate(op.last) if not keep_last}
    to_inits: list[Variable | None] = [None] * op.n_states
    n = len(op.step_outputs)
    for k in range(op.n_states if op.history else 0):
        g = grads[n + k]
        if _is_zeros(g):
            continue
        to_inits[k], rest = (g[-1], g[:-1]) if op.reverse else (g[0], g[1:])
        per_step[k] = per_step[k] + rest if k in per_step else rest
    if op.n_states:  # outputs nobody reads get zeros from the driver: no sequence of them is needed
        per_step = {k: g for k, g in per_step.items() if not _is_zeros(g)}
    return per_step, to_inits


class _ForwardValues(NamedTuple):
    """What the augmented forward scan gives the backward pass."""

    values: list[Variable]  # the saved values, stacked over time
    histories: list[Variable]  # every state with its initial value
    shapes: list[Variable]  # the last of each saved shape


def _forward_values(op: Scan, node: Node, values: list[Variable], shapes: list[Variable]) -> _ForwardValues:
    """From an augmented forward scan: the stacked ``values``, the history of every
    state and the last of the ``shapes``. The compiler runs the augmented scan in
    place of the plain one (``Op.extends``, :mod:`brickwork.graph.rewrites`)."""
    if not op.n_states and not values and not shapes:
        return _ForwardValues([], [], [])
    augmented = Scan(op.seq_in, op.state_in, op.free, op.step_outputs + values + shapes, op.reverse,
                     op.last + (False,) * len(values) + (True,) * len(shapes), history=True, augments=op)
    outputs = augmented.signature.outputs(augmented.make_node(*node.inputs).outputs)
    added = outputs.step[len(op.step_outputs):]
    return _ForwardValues(added[:len(values)], outputs.histories, added[len(values):])


def _product_over_time(a: Variable, g: Variable) -> Variable:
    """``sum_t a[t].T @ g[t]`` as one matrix product, for ``a``, ``g`` ``(time, batch, .)``."""
    return reshape(a, (-1, a.shape[-1])).T @ reshape(g, (-1, g.shape[-1]))


def _seed(outs, stacked, g_t, carries) -> dict:
    known: dict[Variable, Variable] = {}
    incoming = dict(zip(stacked, g_t))
    for k, out in enumerate(outs):
        g = incoming.get(k)
        if k < len(carries):
            g = carries[k] if g is None else g + carries[k]
        if g is None:
            continue
        known[out] = known[out] + g if out in known else g
    if not known:
        raise GradientError("scan: no gradient reaches the step outputs")
    return known


def _is_zeros(v: Variable) -> bool:
    """Whether ``v`` is an array of zeros by construction (``zeros_like``)."""
    owner = v.owner
    return (owner is not None and isinstance(owner.op, Alloc) and isinstance(owner.inputs[0], Constant)
            and not owner.inputs[0].value.any())


def _is_float(v: Variable) -> bool:
    return v.type.dtype.kind in "fc"
