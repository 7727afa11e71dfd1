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

Kernels and constants are bound as globals of the generated function;
``del`` frees each intermediate array right after its last use, as the
interpreter does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def generate(schedule: list, input_slots: list[int], shared: list[tuple[int, Any]],
             constants: dict[int, Any], result_slots: list[int]) -> Callable[[Any], list]:
    """Compile ``schedule`` (steps ``(kernel, ins, outs, releases)``) to a function
    from the input arrays (in ``input_slots`` order) to the result arrays."""
    namespace: dict[str, Any] = {}

    def name(slot: int) -> str:
        if slot in constants:
            namespace[f"C{slot}"] = constants[slot]
            return f"C{slot}"
        return f"s{slot}"

    lines = ["def program(inputs):"]
    if input_slots:
        lines.append(f"    {', '.join(name(s) for s in input_slots)}, = inputs")
    for slot, var in shared:
        namespace[f"SHARED_{slot}"] = var
        lines.append(f"    s{slot} = SHARED_{slot}.container[0]")
    for n, (kernel, ins, outs, releases) in enumerate(schedule):
        namespace[f"K{n}"] = kernel
        targets = ", ".join(name(s) for s in outs) + ("," if len(outs) > 1 else "")
        lines.append(f"    {targets} = K{n}({', '.join(name(s) for s in ins)})")
        dead = [name(s) for s in releases if s not in constants]
        if dead:
            lines.append(f"    del {', '.join(dead)}")
    lines.append(f"    return [{', '.join(name(s) for s in result_slots)}]")
    exec(compile("\n".join(lines), "<brickwork program>", "exec"), namespace)  # noqa: S102
    return namespace["program"]
