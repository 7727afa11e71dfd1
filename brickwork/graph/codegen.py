"""The executor's fast path: a schedule turned into one straight-line Python function.

Interpreting a schedule costs, per kernel, a list of argument lookups, tuple
unpacking and a loop over released slots. Generating the function below once
per compiled graph leaves only the kernel call itself::

    def program(inputs):
        s0, s1 = inputs
        s2 = SHARED_2.container[0]
        s3 = K0(s0, s2)
        del s0
        s4 = K1(s3, C5)
        return [s4]

An in-place kernel (see :mod:`brickwork.graph.inplace`) is written out as
``I3(s1, s1, s2) if s1.__class__ is ndarray else K3(s1, s2)``. Kernels and
constants are bound as globals of the generated function;
``del`` frees each intermediate array right after its last use, as the
interpreter does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def generate(schedule: list, input_slots: list[int], shared: list[tuple[int, Any]],
             constants: dict[int, Any], result_slots: list[int],
             aliases: frozenset[int] = frozenset(), fixed: dict[int, Any] | None = None
             ) -> Callable[[Any], list]:
    """Compile ``schedule`` (steps ``(kernel, ins, outs, releases)``) to a function
    from the input arrays (in ``input_slots`` order) to the result arrays.

    Steps listed in ``aliases`` are known to return their first input
    unchanged: they become assignments. Results listed in ``fixed`` (by
    position) are returned as the given values. Steps whose results nothing
    reads any more are left out.
    """
    fixed = fixed or {}
    namespace: dict[str, Any] = {"ndarray": np.ndarray}

    def name(slot: int) -> str:
        if slot in constants:
            namespace[f"C{slot}"] = constants[slot]
            return f"C{slot}"
        return f"s{slot}"

    needed = _needed_steps(schedule, [s for i, s in enumerate(result_slots) if i not in fixed], aliases)
    namespace.update((f"F{i}", value) for i, value in fixed.items())
    produced = set(input_slots) | {slot for slot, _ in shared} | set(constants)
    lines = ["def program(inputs):"]
    if input_slots:
        lines.append(f"    {', '.join(name(s) for s in input_slots)}, = inputs")
    for slot, var in shared:
        namespace[f"SHARED_{slot}"] = var
        lines.append(f"    s{slot} = SHARED_{slot}.container[0]")
    for n, (kernel, ins, outs, releases) in enumerate(schedule):
        if n in needed:
            targets = ", ".join(name(s) for s in outs) + ("," if len(outs) > 1 else "")
            if n in aliases:
                lines.append(f"    {targets} = {name(ins[0])}")
            elif hasattr(kernel, "position"):  # an in-place kernel: its test inlined, one call saved
                namespace[f"I{n}"], namespace[f"K{n}"] = kernel.op.perform_into, kernel.op.perform
                args, target = ", ".join(name(s) for s in ins), name(ins[kernel.position])
                lines.append(f"    {targets} = I{n}({target}, {args}) if {target}.__class__ is ndarray "
                             f"else K{n}({args})")
            else:
                namespace[f"K{n}"] = kernel
                lines.append(f"    {targets} = K{n}({', '.join(name(s) for s in ins)})")
            produced.update(outs)
        dead = [name(s) for s in releases if s not in constants and s in produced]
        if dead:
            lines.append(f"    del {', '.join(dead)}")
            produced.difference_update(releases)
    returned = [f"F{i}" if i in fixed else name(s) for i, s in enumerate(result_slots)]
    lines.append(f"    return [{', '.join(returned)}]")
    exec(compile("\n".join(lines), "<brickwork program>", "exec"), namespace)  # noqa: S102
    return namespace["program"]


def _needed_steps(schedule: list, result_slots: list[int], aliases: frozenset[int]) -> set[int]:
    """Steps whose results are read (an aliased step reads only its first input)."""
    wanted, needed = set(result_slots), set()
    for n in range(len(schedule) - 1, -1, -1):
        _, ins, outs, _ = schedule[n]
        if any(o in wanted for o in outs):
            needed.add(n)
            wanted.update(ins[:1] if n in aliases else ins)
    return needed
