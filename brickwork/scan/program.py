"""A scan's step compiled for one set of argument shapes, on the NumPy tier or the fused one.

The first time a scan runs with given shapes, :func:`compile_step` builds for
them:

* the step specialized to those shapes, its products merged
  (:mod:`brickwork.scan.products`), its loop-invariant values taken out
  and the rest split at the loop (:mod:`brickwork.scan.hoist`);
* ``invariant``: a compiled function from the free variables to the values
  the loop reads that depend on nothing else;
* ``before``: a compiled function from the whole sequences and the free
  values to the hoisted values;
* ``step``: the loop body as one compiled function, which runs the first
  time step; its results give the shapes of the buffers and are checked
  against the states;
* ``loop``: the same body inside a generated loop over the other time steps,
  which writes each stacked output straight into its buffer
  (:mod:`brickwork.scan.loopgen`).

On the fused tier the loop body's elementwise regions are generated kernels
(:mod:`brickwork.scan.fusion`), and only products are hoisted: a kernel
computes elementwise work on sequence values for less than reading it back
from memory. A :class:`Program` holds the tier in use for its shapes; the
fused one takes over when it is ready (:mod:`brickwork.scan.tiers`).
"""

from __future__ import annotations

import functools
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..graph.compile import Function
from ..tensor.variable import Constant, TensorType, Variable
from . import tiers
from .fusion import FusedKernel, fuse_steps
from .hoist import invariant, specialize, split, whole_type
from .loopgen import Loop, generate_loop
from .loopkernel import whole_loop
from .products import merge_products
from .signature import ScanInputs

_fusion_pass = functools.partial(fuse_steps, load=tiers.load_kernel)


class _Placeholders(NamedTuple):
    """The step's inputs for one call's shapes: sequence slices, states, free values."""

    sequences: list[Variable]
    states: list[Variable]
    free: list[Variable]


class Compiled(NamedTuple):
    """A scan's step compiled on one tier for one set of argument shapes.

    Attributes
    ----------
    tier : str
        ``'numpy'`` or ``'fused'``.
    free : list of int
        The free values the program reads, by position (the others are constants in it).
    sequences : list of int
        The sequences the loop reads, by position (before the hoisted values).
    whole : dict of int to int
        Stacked outputs that are a sequence the loop reads (hoisted, or a sequence
        itself), by output: the position of that sequence.
    buffer_of : dict of int to int
        For each stacked output, its buffer (see :class:`~brickwork.scan.loopgen.Loop`).
    owner : dict of int to int
        For each buffer, the first output written into it (states come first):
        a state's history is its buffer's when the state owns it.
    step, loop : callable, Loop
        The first time step, and the loop over the others.
    body : Function
        The loop body ``loop`` runs.
    before, invariant : callable or None
        The hoisted values from the whole sequences, the invariant ones from the free values.
    """

    tier: str
    free: list[int]
    sequences: list[int]
    whole: dict[int, int]
    buffer_of: dict[int, int]
    owner: dict[int, int]
    step: Callable[[list], list]
    loop: Loop
    body: Function
    before: Callable[[list], list] | None
    invariant: Callable[[list], list] | None

    def prepare(self, seqs: Sequence[np.ndarray], free: Sequence[Any]) -> tuple[list, list]:
        """The sequences the loop reads (original ones, then the hoisted values) and
        its free values (the free variables it reads, then the loop-invariant values)."""
        free = list(free) + (self.invariant(list(free)) if self.invariant is not None else [])
        hoisted = self.before(list(seqs) + free) if self.before is not None else []
        return [seqs[i] for i in self.sequences] + hoisted, [_rows_contiguous(f) for f in free]


def compile_step(op: Any, arrays: ScanInputs, sizes: frozenset[int], fused: bool = False) -> Compiled | None:
    """``op``'s step for the shapes of ``arrays`` (see the module doc); on the fused
    tier, None when nothing in the loop is worth a kernel."""
    used = [i for i in range(len(arrays.free)) if i not in sizes]
    inputs = _placeholders(op, arrays, used)
    outputs = specialize(op.step_outputs, _replacements(op, inputs, arrays, used, sizes), inputs.states)
    outputs = merge_products(outputs, inputs.states, inputs.free)
    outputs, values, extra = invariant(outputs, inputs.free)
    inputs = inputs._replace(free=inputs.free + extra)
    whole = [Variable(whole_type(p.type), name=p.name) for p in inputs.sequences]
    cut = split(outputs, inputs.sequences, inputs.states, inputs.free, whole, elementwise=not fused)
    loop_seqs = [inputs.sequences[i] for i in cut.sequences] + cut.hoisted
    body_inputs = loop_seqs + inputs.states + inputs.free
    step = Function(body_inputs, outputs)
    body = Function(body_inputs, outputs, step_pass=_fusion_pass) if fused else step
    if fused and not any(isinstance(kernel.op, FusedKernel) for kernel, *_ in body.lowering.schedule):
        return None
    whole_outputs = _whole_outputs(op, outputs, loop_seqs)
    stacked = [k for k in range(len(op.last)) if _stacked(op, k) and k not in whole_outputs]
    loop = generate_loop(body, len(loop_seqs), op.n_states, stacked)
    if fused:
        loop = _whole(body, len(loop_seqs), op.n_states, loop)
    owner: dict[int, int] = {}
    for k, b in loop.buffer_of.items():
        owner.setdefault(b, k)
    before = Function(whole + inputs.free, cut.before).program if cut.before else None
    invariants = Function(inputs.free[:len(used)], values).program if values else None
    return Compiled("fused" if fused else "numpy", used, cut.sequences, whole_outputs, loop.buffer_of, owner,
                    step.program, loop, body, before, invariants)


class Program:
    """A scan's step for the shapes of ``arrays``, on the best tier ready (see the module doc).

    Parameters
    ----------
    op : Scan
    arrays : ScanInputs
        The arguments of the call it is compiled for.
    sizes : frozenset of int
        The free values computed from shapes: they become constants.

    Attributes
    ----------
    current : Compiled
        The tier in use: a call takes it once and uses it throughout.
    settled : threading.Event
        Set once the tier is final: the fused tier took over, or will not.
    """

    def __init__(self, op: Any, arrays: ScanInputs, sizes: frozenset[int]):
        self.op, self.sizes = op, sizes
        mode = tiers.mode()
        fused = compile_step(op, arrays, sizes, fused=True) if mode == "sync" else None
        self.current = fused or compile_step(op, arrays, sizes)
        self.settled = threading.Event()
        self._pending = mode == "auto"
        if not self._pending:
            self.settled.set()

    @property
    def tier(self) -> str:
        """``'numpy'`` or ``'fused'``: the tier in use."""
        return self.current.tier

    def after_first_step(self, arrays: ScanInputs, t: int, results: list) -> None:
        """Start compiling the fused tier in the background (once, in ``'auto'`` mode),
        given the call's ``arrays``, its first time step ``t`` and the NumPy tier's
        ``results`` for it (copied: the caller may change them)."""
        if not self._pending:
            return
        self._pending = False
        one_step = arrays._replace(sequences=[np.array(s[t:t + 1]) for s in arrays.sequences],
                                   states=[np.array(s) for s in arrays.states],
                                   free=[np.array(f) for f in arrays.free])
        expected = [np.array(r, copy=True) for r in results]
        threading.Thread(target=self._compile_fused, args=(one_step, expected), daemon=True,
                         name=f"brickwork fused tier of {self.op!r}").start()

    def _compile_fused(self, one_step: ScanInputs, expected: list) -> None:
        try:
            fused = compile_step(self.op, one_step, self.sizes, fused=True)
            if fused is not None:
                free = [one_step.free[i] for i in fused.free]
                sequences, free = fused.prepare(one_step.sequences, free)
                results = fused.body.program([s[0] for s in sequences] + list(one_step.states) + free)
                _check_agreement(results, expected)  # numba compiled the kernels for that call
                if fused.loop.whole:  # and the loop, for arrays of the same kinds
                    fused.loop.run(sequences, list(one_step.states), free, _buffers(fused, results), range(1))
                self.current = fused
        except Exception as error:  # the NumPy tier goes on: say why, never fail the run
            if not sys.is_finalizing():  # a compile cut short by the end of the process is no news
                warnings.warn(f"{self.op!r}: the fused tier is not used: {error}", RuntimeWarning, stacklevel=1)
        finally:
            self.settled.set()


def _buffers(compiled: Compiled, results: list) -> list[np.ndarray]:
    """Buffers for one time step of ``compiled``'s loop, given a step's ``results``."""
    firsts = [np.asarray(results[compiled.owner[b]]) for b in sorted(compiled.owner)]
    return [np.empty((1,) + first.shape, first.dtype) for first in firsts]


def _whole(body: Function, n_sequences: int, n_states: int, loop: Loop) -> Loop:
    """``loop`` as one numba function where the step allows (:mod:`brickwork.scan.loopkernel`)."""
    slots = body.lowering.output_slots
    written = {slots[k]: b for k, b in loop.buffer_of.items()}
    run = whole_loop(body.lowering, n_sequences, n_states, written, tiers.load_kernel)
    return loop if run is None else Loop(run, loop.buffer_of, whole=True)


def _rows_contiguous(value: Any) -> Any:
    """A matrix in C order (copied, once per call, when it is a transposed view): the
    loop's products by it run up to 1.5x faster in OpenBLAS (measured, 64 x 256 times
    256 x 1024, float32)."""
    if isinstance(value, np.ndarray) and value.ndim == 2 and not value.flags.c_contiguous:
        return np.ascontiguousarray(value)
    return value


def _check_agreement(results: list, expected: list) -> None:
    """Raise when the fused tier's results for a step differ from the NumPy tier's
    by more than rounding: float64 to 1e-9, float32 to 1e-3 of the largest value
    (tanh and the sigmoid are rational approximations in float32 kernels)."""
    for k, (got, want) in enumerate(zip(results, expected)):
        got, want = np.asarray(got), np.asarray(want)
        if want.dtype.kind != "f":
            close = np.array_equal(got, want)
        else:
            tolerance = 1e-9 if want.dtype == np.float64 else 1e-3
            scale = float(np.nanmax(np.abs(want), initial=1.0)) if want.size else 1.0
            close = np.allclose(got, want, rtol=tolerance, atol=tolerance * scale, equal_nan=True)
        if not close:
            raise RuntimeError(f"output {k} of the fused step differs from the NumPy tier's")


def _placeholders(op: Any, arrays: ScanInputs, used: list[int]) -> _Placeholders:
    def like(p: Variable, shape: tuple) -> Variable:
        return Variable(TensorType(p.type.dtype, shape), name=p.name)
    return _Placeholders([like(p, np.shape(s)[1:]) for p, s in zip(op.seq_in, arrays.sequences)],
                         [like(p, np.shape(s)) for p, s in zip(op.state_in, arrays.states)],
                         [like(op.free[i], np.shape(arrays.free[i])) for i in used])


def _replacements(op: Any, inputs: _Placeholders, arrays: ScanInputs, used: list[int],
                  sizes: frozenset[int]) -> dict[Variable, Variable]:
    """The step's placeholders and free variables, by what the program reads instead;
    free values computed from shapes become constants: the program is for them."""
    replace = dict(zip(op.seq_in + op.state_in, inputs.sequences + inputs.states))
    replace.update((op.free[i], v) for i, v in zip(used, inputs.free))
    replace.update((op.free[i], Constant(arrays.free[i], dtype=op.free[i].type.dtype)) for i in sizes)
    return replace


def _stacked(op: Any, k: int) -> bool:
    """Whether output ``k`` is written at every step: a stacked output, or a state with history."""
    return not op.last[k] or (op.history and op.signature.is_state(k))


def _whole_outputs(op: Any, outputs: list[Variable], loop_seqs: list[Variable]) -> dict[int, int]:
    """Stacked outputs (not histories) that are a loop sequence already, by output."""
    return {k: j for k, keep_last in enumerate(op.last)
            if not keep_last and not (op.history and op.signature.is_state(k))
            for j, v in enumerate(loop_seqs) if v is outputs[k]}
