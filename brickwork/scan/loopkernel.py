"""A small step's whole loop as one numba function, products included.

When a step does little work (an LSTM of 10 units, an RNN of 64), the
generated Python loop of :mod:`brickwork.scan.loopgen` spends more time
between its kernels than in them: a few microseconds of interpreter per time
step. If every step of the loop body is a fused kernel, a small matrix
product (``rows * shared * columns`` up to
:data:`~brickwork.scan.nbproducts.SMALL_PRODUCT`) or a constant slice, the
whole loop is written as one numba function instead::

    @numba.njit(cache=True, error_model="numpy", nogil=True)
    def kernel(q0, s1, s2, f3, B0, B1, start, stop, step):
        s6 = np.empty((32, 10), float32)           # the results of the last step
        for t in range(start, stop, step):
            s0 = q0[t]
            s4 = np.empty((32, 40), float32)
            matmul_into(s1, f3, s4)
            s5 = B1[t]
            s6 = np.empty((32, 10), float32)
            K0(s0, s4, s2, s5, s6)                 # a fused kernel, called from numba
            s1, s2 = s6, s5
        return (s6, s5)

Results written at every step go straight into their rows of the buffers,
as in the Python loop. The interface is the Python loop's
(:class:`~brickwork.scan.loopgen.Loop`); an error inside becomes a
:class:`~brickwork.scan.loopgen.StepFailed` at the loop's first step, and the
runner finds the failing op by running steps again, interpreted.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..graph.compile import Lowering
from ..tensor.linalg import MatMul
from .fusion import FusedKernel
from .kernelgen import HEADER, dtype_name
from .loopgen import StepFailed
from .nbproducts import SMALL_PRODUCT
from .tiers import module_name

_PRODUCTS = hashlib.sha256((Path(__file__).parent / "nbproducts.py").read_bytes()).hexdigest()[:16]


def whole_loop(lowering: Lowering, n_sequences: int, n_states: int, written: dict[int, int],
               load: Callable[[str], Callable]) -> Callable[..., list] | None:
    """The loop of ``lowering`` (inputs: sequence slices, states, free values) as one
    numba function with the interface of ``Loop.run``; ``written`` gives the buffer of
    each slot stored at every step. None when a step cannot be part of it."""
    if importlib.util.find_spec("scipy") is None:  # numba's np.dot needs SciPy's BLAS
        return None
    lines = _body(lowering, written)
    if lines is None or any(s in lowering.constants for s in lowering.output_slots[:n_states]):
        return None
    inputs = list(lowering.input_slots)
    sequences, states = inputs[:n_sequences], inputs[n_sequences:n_sequences + n_states]
    results = [s for s in dict.fromkeys(lowering.output_slots) if s not in lowering.constants]
    source = _module(lowering, (sequences, states, inputs[n_sequences + n_states:]), written, lines, results)
    compiled = load(source)
    return _runner(compiled, lowering, results, n_states)


def _body(lowering: Lowering, written: dict[int, int]) -> list[str] | None:
    """The lines of one time step, or None when a step has no numba form here."""
    if lowering.shared:
        return None
    lines, done = [], set()
    for kernel, ins, outs, _ in lowering.schedule:
        op, types = kernel.op, lowering.types
        if any(s in lowering.constants for s in ins):
            return None
        done.update(outs)
        if isinstance(op, FusedKernel):
            lines += _fused(op, ins, outs, written, types)
        elif isinstance(op, MatMul) and _small(types[ins[0]], types[ins[1]]):
            lines += _product(ins, outs[0], written, types)
        elif op.passes_through and op.column_slice([types[ins[0]]]) is not None and len(ins) == 1:
            start, stop = op.column_slice([types[ins[0]]])
            lines.append(f"s{outs[0]} = s{ins[0]}[{':, ' * (types[ins[0]].ndim - 1)}{start}:{stop}]")
            lines += _store(outs[0], written, types)
        else:
            return None
    # results stored at every step that no step makes here (a sequence slice, a state)
    for slot in dict.fromkeys(lowering.output_slots):
        if slot in written and slot not in done:
            if slot not in lowering.types or not lowering.types[slot].ndim:  # type unknown, or a scalar
                return None
            lines += _store(slot, written, lowering.types)
    return lines


def _small(a: Any, b: Any) -> bool:
    if a.ndim not in (1, 2) or b.ndim != 2 or None in a.shape + b.shape:
        return False
    rows = a.shape[0] if a.ndim == 2 else 1
    return rows * b.shape[0] * b.shape[1] <= SMALL_PRODUCT


def _empty(slot: int, types: dict) -> str:
    t = types[slot]
    return f"np.empty({tuple(t.shape)!r}, {dtype_name(t.dtype)})"


def _fused(op: FusedKernel, ins: tuple, outs: tuple, written: dict[int, int], types: dict) -> list[str]:
    lines = [f"s{s} = B{written[s]}[t]" if s in written else f"s{s} = {_empty(s, types)}" for s in outs]
    args = [f"s{s}" if types[s].ndim else f"np.asarray(s{s})" for s in ins] + [f"s{s}" for s in outs]
    lines.append(f"K{op.number}({', '.join(args)})")
    return lines


def _product(ins: tuple, out: int, written: dict[int, int], types: dict) -> list[str]:
    target = f"B{written[out]}[t]" if out in written else _empty(out, types)
    helper = "matmul_into" if types[ins[0]].ndim == 2 else "vecmat_into"
    return [f"s{out} = {target}", f"{helper}(s{ins[0]}, s{ins[1]}, s{out})"]


def _store(slot: int, written: dict[int, int], types: dict) -> list[str]:
    if slot not in written:
        return []
    return [f"B{written[slot]}[t][{', '.join([':'] * types[slot].ndim)}] = s{slot}"]


def _module(lowering: Lowering, slots: tuple[list, list, list], written: dict[int, int],
            lines: list[str], results: list[int]) -> str:
    """The module source: ``slots`` holds the input slots of sequences, states and free values."""
    sequences, states, free = slots
    produced = {s for _, _, outs, _ in lowering.schedule for s in outs}
    kernels = {k.op.number: k.op for k, *_ in lowering.schedule if isinstance(k.op, FusedKernel)}
    buffers = sorted(set(written.values()))
    arguments = ([f"q{s}" for s in sequences] + [f"s{s}" for s in states] + [f"s{s}" for s in free]
                 + [f"B{b}" for b in buffers] + ["start", "stop", "step"])
    text = [HEADER.replace("kernelgen;", f"loopkernel; products {_PRODUCTS};"),
            "import sys", "from brickwork.scan.nbproducts import matmul_into, vecmat_into", ""]
    text += [f"K{n} = sys.modules[{module_name(k.source)!r}].kernel" for n, k in kernels.items()]
    text += ["", "", '@numba.njit(cache=True, error_model="numpy", nogil=True)',
             f"def kernel({', '.join(arguments)}):"]
    # defined before the loop (numba types them), as the step makes them
    text += [f"    s{s} = {_empty(s, lowering.types)}" for s in results if s in produced]
    text += [f"    s{s} = q{s}[start]" for s in results if s in sequences]
    text += ["    for t in range(start, stop, step):"]
    text += [f"        s{s} = q{s}[t]" for s in sequences]
    text += ["        " + line for line in lines]
    if states:
        news = ", ".join(f"s{s}" for s in lowering.output_slots[:len(states)])
        text.append(f"        {', '.join(f's{s}' for s in states)}, = {news},")
    text.append(f"    return ({', '.join(f's{s}' for s in results)},)")
    return "\n".join(text) + "\n"


def _runner(compiled: Callable, lowering: Lowering, results: list[int], n_states: int) -> Callable[..., list]:
    position = {s: k for k, s in enumerate(results)}
    constants = lowering.constants

    def run(sequences: list, states: list, free: list, buffers: list, steps: range) -> list:
        try:
            last = compiled(*sequences, *states, *free, *buffers, steps.start, steps.stop, steps.step)
        except Exception as error:  # the runner runs the steps again, interpreted, to say where
            raise StepFailed(steps[0], list(states)) from error
        return [constants[s] if s in constants else last[position[s]] for s in lowering.output_slots]
    return run
