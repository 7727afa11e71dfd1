"""A scan's step, compiled, generated once more as a loop over time steps.

The loop body is the step's schedule written out by the compiler's
:class:`~brickwork.graph.codegen.Emitter`; around it::

    def loop(sequences, states, free, buffers, steps):
        q0, = sequences
        s1, s2, = states
        s3, = free
        B0, = buffers
        t = None
        try:
            for t in steps:
                s0 = q0[t]
                ...                          # the step; results straight into B0[t, ...]
                s1, s2, = s7, s9,            # the new states, carried to the next step
        except Exception as error:
            raise StepFailed(t, [s1, s2]) from error
        return [s7, s9, s8]

The states are local variables carried from one iteration to the next, and
each stacked output is written straight into its slice of the output buffer
instead of being allocated and then copied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from ..errors import ExecutionError
from ..graph.codegen import Emitter
from ..graph.compile import Function, Lowering

_BODY_INDENT = " " * 12  # inside def, try and for


class StepFailed(ExecutionError):
    """Raised by a generated loop: the time step and the states it started from."""

    def __init__(self, t: int, states: list):
        super().__init__(f"time step {t}")
        self.t, self.states = t, states


class Loop(NamedTuple):
    """A generated loop and where it writes.

    Attributes
    ----------
    run : callable
        ``run(sequences, states, free, buffers, steps)``: for each ``t`` in
        ``steps``, the step on slice ``t`` of each sequence; each stacked
        output goes into ``buffers[buffer_of[k]][t]``; returns the step's
        results at the last ``t``. An exception inside the loop becomes
        :class:`StepFailed`.
    buffer_of : dict of int to int
        For each stacked output (by position among the step's outputs), the
        index of its buffer: outputs that are one variable share one buffer.
    whole : bool
        True for a loop compiled whole by numba (:mod:`brickwork.scan.loopkernel`),
        False for generated Python.
    """

    run: Callable[..., list]
    buffer_of: dict[int, int]
    whole: bool = False


class _Slots(NamedTuple):
    sequences: list[int]
    states: list[int]
    free: list[int]


def generate_loop(step: Function, n_sequences: int, n_states: int, stacked: Sequence[int]) -> Loop:
    """``step`` (inputs: sequence slices, states, free values; outputs: new states
    first) as a loop over time steps that writes the outputs ``stacked`` into buffers."""
    lowering = step.lowering
    buffer_of_slot: dict[int, int] = {}
    for k in stacked:
        buffer_of_slot.setdefault(lowering.output_slots[k], len(buffer_of_slot))
    inputs = list(lowering.input_slots)
    slots = _Slots(inputs[:n_sequences], inputs[n_sequences:n_sequences + n_states],
                   inputs[n_sequences + n_states:])
    run = _generate(lowering, slots, buffer_of_slot)
    return Loop(run, {k: buffer_of_slot[lowering.output_slots[k]] for k in stacked})


def _generate(lowering: Lowering, slots: _Slots, written: dict[int, int]) -> Callable[..., list]:
    emitter = Emitter(lowering.constants, lowering.types, _BODY_INDENT)
    outputs = lowering.output_slots
    lines = ["def loop(sequences, states, free, buffers, steps):"]
    lines += _unpacked(slots, sorted(set(written.values())))
    lines += emitter.shared(lowering.shared)
    lines += ["    t = None", "    try:", "        for t in steps:"]
    lines += [f"{_BODY_INDENT}s{s} = q{s}[t]" for s in slots.sequences]
    lines += emitter.body(lowering.schedule, set(lowering.input_slots) | {s for s, _ in lowering.shared}, written)
    lines += [f"{_BODY_INDENT}B{written[s]}[t] = {emitter.name(s)}"
              for s in dict.fromkeys(outputs) if s in written and s not in emitter.direct]
    if slots.states:
        news = ", ".join(emitter.name(s) for s in outputs[:len(slots.states)])
        lines.append(f"{_BODY_INDENT}{', '.join(f's{s}' for s in slots.states)}, = {news},")
    lines += ["    except Exception as error:",
              f"        raise StepFailed(t, [{', '.join(f's{s}' for s in slots.states)}]) from error",
              f"    return [{', '.join(emitter.name(s) for s in outputs)}]"]
    emitter.namespace["StepFailed"] = StepFailed
    return emitter.compile(lines, "loop")


def _unpacked(slots: _Slots, buffers: list[int]) -> list[str]:
    """The lines that unpack the loop's arguments into local names."""
    groups = (([f"q{s}" for s in slots.sequences], "sequences"), ([f"s{s}" for s in slots.states], "states"),
              ([f"s{s}" for s in slots.free], "free"), ([f"B{b}" for b in buffers], "buffers"))
    return [f"    {', '.join(names)}, = {group}" for names, group in groups if names]
