"""Backpropagation through time: the vjp of :class:`~brickwork.tensor.scan.Scan`.

The gradient of a scan is a scan of the step's vjp over the reversed time
axis. Its sequences are the forward sequences, the state each forward step
read, and the incoming gradients of the stacked outputs; its states are the
gradient carried into each previous state and one accumulator per free
variable; its stacked outputs are the gradients of the sequences.
"""

from __future__ import annotations

from ..errors import GradientError
from ..graph.grad import grad
from .scan import Scan, scan, shift_states
from .shape import zeros_like
from .variable import Variable
from .walk import clone_replace


def scan_vjp(op: Scan, node, grads: list[Variable]) -> list[Variable | None]:
    """Gradients of the inputs of ``node`` (a Scan) given those of its outputs."""
    _, seqs, inits, free = op.split(node.inputs)
    histories = _state_histories(op, node)
    previous = [shift_states(op, h, init) for h, init in zip(histories, inits)]
    stacked = [k for k, keep_last in enumerate(op.last) if not keep_last]
    carries0 = [grads[k] if op.last[k] else zeros_like(init) for k, init in enumerate(inits)]
    d_seq_at = [i for i, s in enumerate(seqs) if _is_float(s)]
    d_free_at = [i for i, f in enumerate(free) if _is_float(f)]
    accumulators0 = [zeros_like(free[i]) for i in d_free_at]

    def backward_step(*args):
        n_seq, n_states = len(seqs), op.n_states
        x_t, prev_t = args[:n_seq], args[n_seq:n_seq + n_states]
        g_t = args[n_seq + n_states:n_seq + n_states + len(stacked)]
        carries = args[n_seq + n_states + len(stacked):][:n_states]
        accumulators = args[n_seq + n_states + len(stacked) + n_states:]
        # Free variables enter as fresh leaves, so that each gets its partial
        # derivative even when one is computed from another (W and W.T).
        leaves = [Variable(f.type, name=f.name) for f in free]
        mapping = dict(zip(op.seq_in, x_t)) | dict(zip(op.state_in, prev_t)) | dict(zip(op.free, leaves))
        outs = clone_replace(op.step_outputs, mapping)
        known = _seed(outs, stacked, g_t, carries)
        wrt = [x_t[i] for i in d_seq_at] + list(prev_t) + [leaves[i] for i in d_free_at]
        gs = grad(None, wrt, known_grads=known, disconnected_inputs="zero")
        d_x, d_prev = gs[:len(d_seq_at)], gs[len(d_seq_at):len(d_seq_at) + n_states]
        d_free = gs[len(d_seq_at) + n_states:]
        new = list(d_prev) + [a + d for a, d in zip(accumulators, d_free)] + list(d_x)
        return clone_replace(new, dict(zip(leaves, free)))

    n_carry = op.n_states + len(accumulators0)
    results = scan(backward_step, sequences=seqs + previous + [grads[k] for k in stacked],
                   states=carries0 + accumulators0, reverse=not op.reverse,
                   last=[True] * n_carry + [False] * len(d_seq_at))
    d_inits, d_free, d_seqs = results[:op.n_states], results[op.n_states:n_carry], results[n_carry:]
    out: list[Variable | None] = [None] * len(node.inputs)
    base = 1 + len(seqs)
    for i, d in zip(d_seq_at, d_seqs):
        out[1 + i] = d
    for k, d in enumerate(d_inits):
        out[base + k] = d if _is_float(inits[k]) else None
    for i, d in zip(d_free_at, d_free):
        out[base + op.n_states + i] = d
    return out


def _state_histories(op: Scan, node) -> list[Variable]:
    """The stacked states of ``node``; rebuilt stacked where only the last is kept."""
    if not any(op.last):
        return node.outputs[:op.n_states]
    full = Scan(op.seq_in, op.state_in, op.free, op.step_outputs, op.reverse)
    return full(*node.inputs)[:op.n_states]


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


def _is_float(v: Variable) -> bool:
    return v.type.dtype.kind in "fc"
