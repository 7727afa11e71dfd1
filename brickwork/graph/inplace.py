"""Buffer ownership, and in-place kernels that reuse a dead buffer for their result.

When an elementwise op reads an array for the last time, its result can be
written into that array (``ufunc(a, b, out=a)``) instead of a new one. That
saves an allocation (and, for large arrays, the page faults of fresh memory)
per op. Whether it is safe follows from who owns which buffer:

* Every slot of the schedule is a view of one or more *buffers*. An op that
  returns new memory (``fresh_output``) makes a new buffer, which the
  function owns. Arguments, constants and shared variables are buffers it
  does not own.
* An op that returns its first input or a view of it (``passes_through``:
  slices, reversed slices, integer indices, reshapes, transposes, new axes,
  a ``SumTo`` with nothing to sum) gives a slot of that input's buffers.
  Any other op (a scan, ``broadcast_to``) may return its inputs, views of
  them, or views that overlap themselves: its outputs are slots of all its
  inputs' buffers (and of one another's), and are never written into.
* A buffer is alive while any slot of it will still be read, or is a result
  of the function (an output, a new value of a shared variable); so are the
  arguments, and the values a scan saves for its backward pass (outputs of
  the scan, read by the backward scan).
* A kernel writes into an input slot only when that slot is a buffer the
  function owns (or a view of it that does not overlap itself), no other
  slot of the buffer is alive after the kernel, and no other input of the
  kernel is a slot of it. The result then takes the buffer over.

What an op promises for this (``fresh_output``, ``passes_through``,
``perform_into``, ``inplace_positions``) is declared on
:class:`~brickwork.tensor.op.Op`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor.op import Op


class Kernel:
    """What runs for one step of a schedule: ``op``, written into its input
    ``position`` when that is not None.

    ``run(*arrays)`` computes the step's result: ``op.perform``, or for an
    in-place kernel ``op.perform_into`` given that input as ``out`` (when it
    is a plain array; a NumPy scalar cannot be written into). The code
    generator (:mod:`brickwork.graph.codegen`) reads ``op`` and ``position``
    to write the call out.
    """

    __slots__ = ("op", "position", "run")

    def __init__(self, op: Op, position: int | None = None):
        self.op, self.position = op, position
        self.run: Callable[..., Any] = op.perform if position is None else self._in_place

    def _in_place(self, *arrays: Any) -> Any:
        target = arrays[self.position]
        if type(target) is np.ndarray:
            return self.op.perform_into(target, *arrays)
        return self.op.perform(*arrays)

    def __repr__(self) -> str:
        return f"{self.op!r}" + ("" if self.position is None else f" into input {self.position}")


def inplace_kernels(lowered: list, keep: set[int], types: dict[int, Any]) -> list[Kernel]:
    """The kernel of each lowered step ``(op, inputs, outputs)``, in place where
    that is safe; ``keep`` holds the slots alive to the end (arguments, results)."""
    buffers = Buffers(lowered, keep)
    kernels = []
    for n, (op, ins, outs) in enumerate(lowered):
        position = _reusable_input(op, ins, outs, n, buffers, types)
        kernels.append(Kernel(op, position))
        buffers.produce(op, ins, outs, None if position is None else ins[position])
    return kernels


class Buffers:
    """Which buffers each slot is a view of, and until which step each buffer is read.

    Filled step by step (:meth:`produce`), in schedule order.

    Parameters
    ----------
    lowered : list of (op, input slots, output slots)
        The schedule.
    keep : set of int
        Slots alive to the end of a call (arguments and results).
    """

    def __init__(self, lowered: list, keep: set[int]):
        self.last_read: dict[int, float] = {}
        for n, (_, ins, _) in enumerate(lowered):
            self.last_read.update((slot, n) for slot in ins)
        self.last_read.update((slot, math.inf) for slot in keep)
        self.of: dict[int, frozenset[int]] = {}  # slot -> its buffers
        self.writable: set[int] = set()  # slots that are an owned buffer or a plain view of one
        self.end: dict[int, float] = {}  # buffer -> the last step that reads a slot of it
        self.count = 0

    def buffers(self, slot: int) -> frozenset[int]:
        """The buffers of ``slot``; a slot no op made (an argument, a constant, a shared
        variable) is a buffer of its own, not owned."""
        if slot not in self.of:
            self._assign(slot, frozenset([self._new()]))
        return self.of[slot]

    def free_after(self, slot: int, n: int) -> bool:
        """Whether step ``n`` may overwrite ``slot``: nothing sees its buffer afterwards."""
        return slot in self.writable and all(self.end[b] <= n for b in self.of[slot])

    def produce(self, op: Op, ins: list[int], outs: list[int], taken: int | None) -> None:
        """Record the outputs of a step; ``taken`` is the input it wrote into, if any."""
        if taken is not None:
            self._assign(outs[0], self.of[taken], writable=True)
        elif op.fresh_output:
            for slot in outs:
                self._assign(slot, frozenset([self._new()]), writable=True)
        elif op.passes_through:
            self._assign(outs[0], self.buffers(ins[0]), writable=ins[0] in self.writable)
        else:
            seen = frozenset([self._new()]).union(*[self.buffers(i) for i in ins])
            for slot in outs:
                self._assign(slot, seen)

    def _new(self) -> int:
        self.count += 1
        return self.count

    def _assign(self, slot: int, buffers: frozenset[int], writable: bool = False) -> None:
        self.of[slot] = buffers
        if writable:
            self.writable.add(slot)
        read = self.last_read.get(slot, -1)
        for b in buffers:
            self.end[b] = max(self.end.get(b, -1), read)


def _reusable_input(op: Op, ins: list[int], outs: list[int], n: int, buffers: Buffers,
                    types: dict[int, Any]) -> int | None:
    if op.perform_into is None or len(outs) != 1:
        return None
    positions = range(len(ins)) if op.inplace_positions is None else op.inplace_positions
    for position in positions:
        slot = ins[position]
        if types[slot].dtype != types[outs[0]].dtype or not buffers.free_after(slot, n):
            continue
        # another input on the same buffer would be read after the kernel starts writing
        others = [buffers.buffers(i) for k, i in enumerate(ins) if k != position]
        if not any(buffers.of[slot] & other for other in others):
            return position
    return None
