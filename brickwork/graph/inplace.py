"""In-place elementwise kernels: reuse a dying input's buffer for the output.

When an elementwise op reads an array for the last time, its result can be
written into that array (``ufunc(a, b, out=a)``) instead of a new one. That
saves an allocation (and, for large arrays, the page faults of fresh memory)
per op. A buffer qualifies only when nothing else can still see it: it was
made by an op that returns new memory (``fresh_output``), it is not an
argument, constant, shared value or result of the function, and every op
that reads it also returns new memory, so no view of it survives; an op that
returns its input or a view of it (``passes_through``) hands the buffer on
when it is the input's last reader. An op
offers ``perform_into(out, *arrays)``, which writes into ``out`` when the
result fits it (and computes anew otherwise), and may restrict which inputs
it can overwrite with ``inplace_positions``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def inplace_kernels(lowered: list, releases: list[list[int]], keep: set[int],
                    types: dict[int, Any]) -> list[Callable]:
    """The perform function of each lowered step, in place where that is safe."""
    fresh: set[int] = set()
    shared: set[int] = set()
    for (op, ins, outs), dying in zip(lowered, releases):
        if getattr(op, "fresh_output", False):
            fresh.update(outs)
            continue
        handed_over = getattr(op, "passes_through", False) and ins[0] in dying and ins[0] in fresh
        if handed_over:
            fresh.update(outs)
        shared.update(ins[1:] if handed_over else ins)
    candidates = fresh - shared - keep
    kernels = []
    for (op, ins, outs), dying in zip(lowered, releases):
        position = _reusable_input(op, ins, outs, dying, candidates, types)
        kernels.append(op.perform if position is None else _inplace(op, position))
    return kernels


def _reusable_input(op: Any, ins: list[int], outs: list[int], dying: list[int],
                    candidates: set[int], types: dict[int, Any]) -> int | None:
    if getattr(op, "perform_into", None) is None or len(outs) != 1:
        return None
    positions = getattr(op, "inplace_positions", range(len(ins)))
    for position, slot in enumerate(ins):
        if position in positions and slot in dying and slot in candidates and ins.count(slot) == 1 \
                and types[slot].dtype == types[outs[0]].dtype:
            return position
    return None


def _inplace(op: Any, position: int) -> Callable:
    into, fallback = op.perform_into, op.perform

    def kernel(*arrays: Any) -> Any:
        target = arrays[position]
        if type(target) is np.ndarray:
            return into(target, *arrays)
        return fallback(*arrays)
    kernel.op = op  # for error messages
    kernel.position = position  # the code generator inlines the test above
    return kernel
