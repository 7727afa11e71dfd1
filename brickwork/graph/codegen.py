"""The executor's fast path: a schedule turned into straight-line Python.

Interpreting a schedule costs, per kernel, a list of argument lookups, tuple
unpacking and a loop over released slots. Generating the code once per
compiled graph leaves only the kernel calls::

    def program(inputs):
        s0, s1 = inputs
        s2 = SHARED_2.container[0]
        s3 = K0(s0, s2)
        del s0
        s4 = K1(s3, C5)
        return [s4]

An in-place kernel (see :mod:`brickwork.graph.inplace`) is written out as
``I3(s1, s1, s2) if s1.__class__ is ndarray else K3(s1, s2)``. Kernels and
constants are bound as globals of the generated function; ``del`` frees each
intermediate array right after its last use, as the interpreter does.

A Scan wraps the same body in a loop over time steps with an
:class:`Emitter` of its own (see :mod:`brickwork.scan.loopgen`): a result
the body gives in ``written`` goes straight into its slice of an output
buffer (``U7(s3, s4, out=B0[t, ...])`` for a ufunc, the kernel's
``perform_into`` otherwise) instead of being allocated and then copied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensor.indexing import Index
from .inplace import Kernel


def generate(schedule: list, input_slots: Sequence[int], shared: list[tuple[int, Any]],
             constants: dict[int, Any], result_slots: Sequence[int], types: dict[int, Any]
             ) -> Callable[[Any], list]:
    """Compile ``schedule`` (steps ``(kernel, ins, outs, releases)``) to a function
    from the input arrays (in ``input_slots`` order) to the result arrays;
    ``types`` gives the TensorType of each slot."""
    emitter = Emitter(constants, types, "    ")
    lines = ["def program(inputs):"]
    if input_slots:
        lines.append(f"    {', '.join(emitter.name(s) for s in input_slots)}, = inputs")
    lines += emitter.shared(shared)
    lines += emitter.body(schedule, set(input_slots) | {slot for slot, _ in shared})
    lines.append(f"    return [{', '.join(emitter.name(s) for s in result_slots)}]")
    return emitter.compile(lines, "program")


class Emitter:
    """Writes the lines of one schedule; binds kernels and constants as globals.

    Parameters
    ----------
    constants : dict of int to array
        Slots holding constants (bound as globals ``C<slot>``).
    types : dict of int to TensorType
        The type of each slot.
    indent : str
        Put before every line of the body.

    Attributes
    ----------
    namespace : dict
        The globals of the generated function.
    direct : set of int
        Results a kernel wrote straight into their buffers (see :meth:`body`).
    """

    def __init__(self, constants: dict[int, Any], types: dict[int, Any], indent: str):
        self.constants, self.types, self.indent = constants, types, indent
        self.namespace: dict[str, Any] = {"ndarray": np.ndarray}
        self.direct: set[int] = set()  # results written straight into their buffers

    def name(self, slot: int) -> str:
        """The Python name of ``slot`` in generated code."""
        if slot in self.constants:
            self.namespace[f"C{slot}"] = self.constants[slot]
            return f"C{slot}"
        return f"s{slot}"

    def shared(self, shared: list[tuple[int, Any]]) -> list[str]:
        """The lines that read each shared variable's value into its slot."""
        self.namespace.update((f"SHARED_{slot}", var) for slot, var in shared)
        return [f"    s{slot} = SHARED_{slot}.container[0]" for slot, _ in shared]

    def body(self, schedule: list, produced: set[int], written: dict[int, int] | None = None) -> list[str]:
        """The kernel calls; a result in ``written`` goes straight into its buffer
        where the kernel can write into a given array (recorded in ``direct``)."""
        lines = []
        for n, (kernel, ins, outs, releases) in enumerate(schedule):
            lines += self._call(n, kernel, ins, outs, written or {})
            produced.update(outs)
            dead = [self.name(s) for s in releases if s not in self.constants and s in produced]
            if dead:
                lines.append(f"del {', '.join(dead)}")
                produced.difference_update(releases)
        return [self.indent + line for line in lines]

    def _call(self, n: int, kernel: Kernel, ins: tuple, outs: tuple, written: dict[int, int]) -> list[str]:
        args = ", ".join(self.name(s) for s in ins)
        targets = ", ".join(self.name(s) for s in outs) + ("," if len(outs) > 1 else "")
        op, position = kernel.op, kernel.position
        if op.perform_outputs is not None:
            return self._into_outputs(n, op, ins, outs, written)
        ufunc = op.as_ufunc([self.types[s] for s in ins])
        buffer = f"B{written[outs[0]]}[t, ...]" if len(outs) == 1 and outs[0] in written else None
        in_place = position is not None
        if ufunc is not None and len(outs) == 1 and (buffer or not in_place or self._fits(ins[position], outs[0])):
            self.namespace[f"U{n}"] = ufunc
            target = buffer or (self.name(ins[position]) if in_place else None)
            self.direct.update(outs if buffer else ())
            return [f"{targets} = U{n}({args}{f', out={target}' if target else ''})"]
        if isinstance(op, Index) and len(ins) == 1 and self.types[outs[0]].ndim:  # a view: index it here
            self.namespace[f"X{n}"] = op.constant_index()
            return [f"{targets} = {args}[X{n}]"]
        if buffer and op.perform_into is not None:
            self.namespace[f"P{n}"] = op.perform_into
            self.direct.add(outs[0])
            return [f"w = {buffer}", f"{targets} = P{n}(w, {args})", f"if {targets} is not w:",
                    f"    w[...] = {targets}"]
        if in_place:  # its test inlined, one call saved
            self.namespace[f"I{n}"], self.namespace[f"K{n}"] = op.perform_into, op.perform
            target = self.name(ins[position])
            return [f"{targets} = I{n}({target}, {args}) if {target}.__class__ is ndarray else K{n}({args})"]
        self.namespace[f"K{n}"] = op.perform
        return [f"{targets} = K{n}({args})"]

    def _into_outputs(self, n: int, op: Any, ins: tuple, outs: tuple, written: dict[int, int]) -> list[str]:
        """A kernel that writes into the arrays it is given: new ones, or straight
        into output buffers. Its scalars go as 0-d arrays (kernels may give NumPy scalars)."""
        self.namespace.update({f"F{n}": op.perform_outputs, "empty": np.empty, "asarray": np.asarray})
        args = [f"asarray({self.name(s)})" if not self.types[s].ndim else self.name(s) for s in ins]
        lines = []
        for s in outs:
            if s in written:
                lines.append(f"{self.name(s)} = B{written[s]}[t]")
                self.direct.add(s)
            else:
                self.namespace[f"T{s}"] = (self.types[s].shape, self.types[s].dtype)
                lines.append(f"{self.name(s)} = empty(*T{s})")
        lines.append(f"F{n}({', '.join(args + [self.name(s) for s in outs])})")
        return lines

    def _fits(self, target: int, result: int) -> bool:
        """Whether the result of a kernel is known to fit the array in slot ``target``."""
        shape = self.types[target].shape
        return bool(shape) and None not in shape and shape == self.types[result].shape

    def compile(self, lines: list[str], name: str) -> Callable:
        """The function ``name`` defined by ``lines``."""
        exec(compile("\n".join(lines), f"<brickwork {name}>", "exec"), self.namespace)  # noqa: S102
        return self.namespace[name]
