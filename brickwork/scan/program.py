"""A scan's step compiled for one set of argument shapes.

The first time a scan runs with given shapes, :class:`Program` builds for them:

* the step specialized to those shapes, its products merged
  (:mod:`brickwork.scan.products`) and split at the loop
  (:mod:`brickwork.scan.hoist`);
* ``invariant``: a compiled function from the free variables to the values
  the loop reads that depend on nothing else (:func:`~brickwork.scan.hoist.invariant`);
* ``before``: a compiled function from the whole sequences and the free
  values to the hoisted values;
* ``step``: the loop body as one compiled function, which runs the first
  time step; its results give the shapes of the buffers and are checked
  against the states;
* ``loop``: the same body inside a generated loop over the other time steps,
  which writes each stacked output straight into its buffer
  (:mod:`brickwork.scan.loopgen`).

``step`` and ``loop`` start on the NumPy tier; the fused tier
(:mod:`brickwork.scan.fusion`) replaces the loop when it is ready, compiled
in the background after the first step or at once (:mod:`brickwork.scan.tiers`).
"""

from __future__ import annotations

import functools
import sys
import threading
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..graph.compile import Function
from ..tensor.variable import Constant, TensorType, Variable
from . import tiers
from .fusion import FusedKernel, fuse_steps
from .hoist import invariant, specialize, split, whole_type
from .loopgen import Loop, generate_loop
from .products import merge_products
from .signature import ScanInputs

_fusion_pass = functools.partial(fuse_steps, load=tiers.load_kernel)


class _Fusable(NamedTuple):
    """What the fused tier is built from: the loop body's inputs and outputs, the number
    of sequences it reads, and the stacked outputs."""

    inputs: list[Variable]
    outputs: list[Variable]
    n_sequences: int
    stacked: list[int]


class _Placeholders(NamedTuple):
    """The step's inputs for one call's shapes: sequence slices, states, free values."""

    sequences: list[Variable]
    states: list[Variable]
    free: list[Variable]


class Program:
    """A scan's step compiled for the shapes of ``arrays`` (see the module doc).

    Parameters
    ----------
    op : Scan
    arrays : ScanInputs
        The arguments of the call it is compiled for.
    sizes : frozenset of int
        The free values computed from shapes: they become constants.

    Attributes
    ----------
    free : list of int
        The free values the program reads, by position (the others are constants in it).
    sequences : list of int
        The sequences the loop reads, by position (before the hoisted values).
    whole : dict of int to int
        Stacked outputs that are a sequence the loop reads (hoisted, or a sequence
        itself), by output: the position of that sequence.
    owner : dict of int to int
        For each buffer, the first output written into it (states come first):
        a state's history is its buffer's when the state owns it.
    body : Function
        The loop body ``loop`` runs (with fused kernels on the fused tier).
    tier : str
        ``'numpy'`` or ``'fused'``: what ``loop`` runs on.
    settled : threading.Event
        Set once the tier is final: the fused tier took over, or will not.
    """

    def __init__(self, op: Any, arrays: ScanInputs, sizes: frozenset[int]):
        self.free = [i for i in range(len(arrays.free)) if i not in sizes]
        inputs = _placeholders(op, arrays, self.free)
        outputs = specialize(op.step_outputs, _replacements(op, inputs, arrays, self.free, sizes), inputs.states)
        outputs = merge_products(outputs, inputs.states, inputs.free)
        outputs, values, extra = invariant(outputs, inputs.free)
        self.invariant = Function(inputs.free, values).program if values else None
        inputs = inputs._replace(free=inputs.free + extra)
        whole = [Variable(whole_type(p.type), name=p.name) for p in inputs.sequences]
        cut = split(outputs, inputs.sequences, inputs.states, inputs.free, whole)
        self.before = Function(whole + inputs.free, cut.before).program if cut.before else None
        self.sequences = cut.sequences
        loop_seqs = [inputs.sequences[i] for i in cut.sequences] + cut.hoisted
        body = Function(loop_seqs + inputs.states + inputs.free, outputs)
        self.op, self.step, self.body, self.tier = op, body.program, body, "numpy"
        self.whole = _whole_outputs(op, outputs, loop_seqs)
        stacked = [k for k in range(len(op.last)) if _stacked(op, k) and k not in self.whole]
        self.loop = generate_loop(body, len(loop_seqs), op.n_states, stacked)
        self.buffer_of = self.loop.buffer_of
        self.owner: dict[int, int] = {}
        for k, b in self.buffer_of.items():
            self.owner.setdefault(b, k)
        fusable = _Fusable(loop_seqs + inputs.states + inputs.free, outputs, len(loop_seqs), stacked)
        self._fusable = fusable if tiers.mode() == "auto" else None
        self.settled = threading.Event()
        if tiers.mode() == "sync":
            self._take_over(self._fused(fusable))
        if self._fusable is None:
            self.settled.set()

    def after_first_step(self, arguments: list, results: list) -> None:
        """Start compiling the fused tier in the background (once, in ``'auto'`` mode),
        from the first step's ``arguments`` and the NumPy tier's ``results`` for them."""
        if self._fusable is None:
            return
        fusable, self._fusable = self._fusable, None
        copies = [np.array(a, copy=True) for a in arguments], [np.array(r, copy=True) for r in results]
        threading.Thread(target=self._compile_fused, args=(fusable, *copies), daemon=True,
                         name=f"brickwork fused tier of {self.op!r}").start()

    def _compile_fused(self, fusable: _Fusable, arguments: list, expected: list) -> None:
        try:
            fused = self._fused(fusable)
            if fused is not None:
                _check_agreement(self.op, fused[0].program(arguments), expected)  # numba compiles here
                self._take_over(fused)
        except Exception as error:  # the NumPy tier goes on: say why, never fail the run
            if not sys.is_finalizing():  # a compile cut short by the end of the process is no news
                warnings.warn(f"{self.op!r}: the fused tier is not used: {error}", RuntimeWarning, stacklevel=1)
        finally:
            self.settled.set()

    def _fused(self, fusable: _Fusable) -> tuple[Function, Loop] | None:
        """The loop body with fused kernels and its loop; None when nothing is worth fusing."""
        body = Function(fusable.inputs, fusable.outputs, step_pass=_fusion_pass)
        if not any(isinstance(kernel.op, FusedKernel) for kernel, *_ in body.lowering.schedule):
            return None
        loop = generate_loop(body, fusable.n_sequences, self.op.n_states, fusable.stacked)
        if loop.buffer_of != self.buffer_of:
            raise RuntimeError("the fused loop lays out its output buffers differently")
        return body, loop

    def _take_over(self, fused: tuple[Function, Loop] | None) -> None:
        # the first step stays on NumPy: it often reads arrays of other layouts (a broadcast
        # initial state), for which numba would compile the kernels once more
        if fused is not None:
            self.body, self.loop, self.tier = fused[0], fused[1], "fused"

    def prepare(self, seqs: Sequence[np.ndarray], free: Sequence[Any]) -> tuple[list, list]:
        """The sequences the loop reads (original ones, then the hoisted values) and
        its free values (the free variables it reads, then the loop-invariant values)."""
        free = list(free) + (self.invariant(list(free)) if self.invariant is not None else [])
        hoisted = self.before(list(seqs) + free) if self.before is not None else []
        return [seqs[i] for i in self.sequences] + hoisted, free


def _check_agreement(op: Any, results: list, expected: list) -> None:
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
