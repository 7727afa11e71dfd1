"""In-place elementwise kernels: reuse a dying input's buffer for the output.

When an elementwise op reads an array for the last time, its result can be
written into that array (``ufunc(a, b, out=a)``) instead of a new one. That
saves an allocation (and, for large arrays, the page faults of fresh memory)
per op. A buffer qualifies only when nothing else can still see it: it was
made by an op that returns new memory (``fresh_output``), it is not an
argument, constant, shared value or result of the function, and every op
that reads it also returns new memory, so no view of it survives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def inplace_kernels(lowered: list, releases: list[list[int]], keep: set[int],
                    dtypes: dict[int, np.dtype]) -> list[Callable]:
    """The perform function of each lowered step, in place where that is safe."""
    fresh = {o for op, _, outs in lowered if getattr(op, "fresh_output", False) for o in outs}
    for op, ins, _ in lowered:
        if not getattr(op, "fresh_output", False):
            fresh.difference_update(ins)
    kernels = []
    for (op, ins, outs), dying in zip(lowered, releases):
        position = _reusable_input(op, ins, outs, dying, fresh - keep, dtypes)
        kernels.append(op.perform if position is None else _inplace(op, position))
    return kernels


def _reusable_input(op: Any, ins: list[int], outs: list[int], dying: list[int],
                    candidates: set[int], dtypes: dict[int, np.dtype]) -> int | None:
    if getattr(op, "perform_into", None) is None or len(outs) != 1:
        return None
    for position, slot in enumerate(ins):
        if slot in dying and slot in candidates and ins.count(slot) == 1 \
                and dtypes.get(slot) == dtypes.get(outs[0]):
            return position
    return None


def _inplace(op: Any, position: int) -> Callable:
    into, fallback = op.perform_into, op.perform

    def kernel(*arrays: Any) -> Any:
        target = arrays[position]
        if type(target) is np.ndarray and all(
                a is target or np.shape(a) == target.shape or
                np.broadcast_shapes(np.shape(a), target.shape) == target.shape for a in arrays):
            return into(target, *arrays)
        return fallback(*arrays)
    kernel.op = op  # for error messages
    return kernel
