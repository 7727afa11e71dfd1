"""The source of one fused kernel: a region of elementwise ops as numba code.

A region (chosen by :mod:`brickwork.scan.fusion`) is a set of steps whose
outputs all share one *frame*: ``(columns,)`` or ``(rows, columns)`` with the
same number of rows; only the columns differ. The kernel walks the rows
(batch examples); within a row it runs one loop over the columns per
*block*, a run of ops of the same width computed element by element into
local scalars, so that LLVM vectorizes each block::

    @numba.njit(cache=True, error_model="numpy", nogil=True)
    def kernel(a0, a1, o0, o1):
        <shape checks>
        m0 = np.empty(1024, float32)       # a value read again by a later block
        for i in range(64):
            for j in range(1024):          # block 0: pre = x + h @ W
                v0 = float32(a0[i, j] + a1[i, j])
                m0[j] = v0
            for j in range(256):           # block 1: reads columns 768: of pre
                v1 = float32(tanh_f32(m0[j + 768]))
                o1[i, j] = v1
            ...

A value read by a later block (or through a slice) is stored into a row:
its output's row when it is an output, else a scratch row. Slices of the
last axis are read in place at an offset; a join along the last axis is
written piece by piece into its row. Inputs broadcast along either axis
(``(1, n)``, ``(n,)``, ``(rows, 1)``, scalars) are read as such. The kernel
checks the shapes it was generated for and writes into the outputs it is
given (``Op.perform_outputs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..tensor.variable import Constant, Variable

HEADER = """\
import math
from math import inf, nan

import numba
import numpy as np
from numpy import bool_, float32, float64, int32, int64

from brickwork.scan.fastmath import sigmoid_f32, sigmoid_f64, tanh_f32, tanh_f64
"""


class Member(NamedTuple):
    """One step of a region: ``op`` on ``inputs`` giving ``output``, and how it is fused
    (``'scalar'``, ``'slice'`` with ``(start, stop)`` in ``columns``, or ``'join'``)."""

    op: Any
    inputs: list[Variable]
    output: Variable
    role: str
    columns: tuple[int, int] | None = None


class _Block(NamedTuple):
    width: int
    lines: list[str]


def width(var: Variable) -> int:
    """The number of columns of ``var`` (1 for a scalar)."""
    return var.type.shape[-1] if var.ndim else 1


def kernel_source(members: Sequence[Member], inputs: Sequence[Variable], outputs: Sequence[Variable],
                  rows: int | None) -> str:
    """The module source of a kernel ``kernel(*inputs, *outputs)`` computing the region
    ``members`` (in an order where every input comes first); ``rows`` is the frame's
    number of rows, None for a frame of one axis."""
    writer = _Writer(inputs, outputs, rows)
    for member in members:
        writer.add(member)
    return writer.source()


class _Writer:
    """Assigns the members to blocks and writes the kernel."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable], rows: int | None):
        self.inputs, self.outputs, self.rows = list(inputs), list(outputs), rows
        self.names: dict[int, str] = {}       # computed value -> its local name
        self.var_of_name: dict[str, int] = {}
        self.root_of: dict[int, int] = {}     # slice -> the value it is a slice of
        self.block_of: dict[int, int] = {}    # computed value -> its block
        self.rows_of: dict[int, tuple[str, int]] = {}  # value -> (row name, column offset)
        self.stores: dict[int, list[tuple[str, int]]] = {}  # computed value -> (row, column) it goes to
        self.written_in: dict[str, int] = {}  # a join's row -> the last block writing into it
        self.scratch: list[tuple[str, int, np.dtype]] = []
        self.blocks: list[_Block] = []
        self.closed = True  # the last block takes no more ops (a copy block)
        for k, var in enumerate(self.inputs):
            self.rows_of[id(var)] = (self._indexed(f"a{k}", var), 0) if var.ndim else (f"c{k}", -1)
        for k, var in enumerate(self.outputs):
            self.stores[id(var)] = [(self._indexed(f"o{k}", var), 0)]

    def add(self, member: Member) -> None:
        if member.role == "slice":
            self._slice(member)
        elif member.role == "join":
            self._join(member)
        else:
            self._scalar(member)

    def _scalar(self, member: Member) -> None:
        out = member.output
        if self.closed or self.blocks[-1].width != width(out) or any(map(self._conflicts, member.inputs)):
            self._new_block(width(out))
        args = [self._read(x) for x in member.inputs]
        expression = member.op.scalar_expression(args, out.type.dtype)
        name = f"v{len(self.names)}"
        self.names[id(out)], self.block_of[id(out)] = name, len(self.blocks) - 1
        self.var_of_name[name] = id(out)
        self.blocks[-1].lines.append(f"{name} = {expression}")
        self.stores.setdefault(id(out), [])

    def _conflicts(self, var: Variable) -> bool:
        """Whether ``var`` is a slice or a join of values the current block computes
        (not all of whose columns exist yet when the block reads them)."""
        current = len(self.blocks) - 1
        if self.closed or self._local(var):
            return False
        root = self.root_of.get(id(var))
        row = self.rows_of.get(id(var), ("", 0))[0]
        return (root is not None and self.block_of.get(root) == current) or self.written_in.get(row) == current

    def _slice(self, member: Member) -> None:
        out, (start, _) = member.output, member.columns
        row, offset = self._row(member.inputs[0])
        if id(out) in self.stores:  # an output: copied into its own row
            target = self.stores[id(out)][0][0]
            self._copy(member.inputs[0], target, 0, width(out), start)
            self.rows_of[id(out)] = (target, 0)
        else:
            self.rows_of[id(out)] = (row, offset + start)
            self.root_of[id(out)] = self.root_of.get(id(member.inputs[0]), id(member.inputs[0]))

    def _join(self, member: Member) -> None:
        """Each computed piece is also stored into the join's row; the others are copied."""
        out = member.output
        if id(out) not in self.stores:
            self.scratch.append((f"m{len(self.scratch)}", width(out), out.type.dtype))
            self.stores[id(out)] = [(self.scratch[-1][0] + "[", 0)]
        target, start = self.stores[id(out)][0][0], 0
        for piece in member.inputs:
            if id(piece) in self.names:
                self.stores[id(piece)].append((target, start))
                self.written_in[target] = max(self.written_in.get(target, -1), self.block_of[id(piece)])
            else:
                self._copy(piece, target, start, width(piece), 0)
            start += width(piece)
        self.rows_of[id(out)] = (target, 0)

    def _copy(self, source: Variable, target: str, at: int, columns: int, offset: int) -> None:
        """A block writing ``columns`` columns of ``source`` (from ``offset``) into ``target`` at ``at``."""
        self._new_block(columns)
        row, base = self._row(source)
        value = self._element(row, base + offset, width(source), columns)
        self.blocks[-1].lines.append(f"{target}{_plus('j', at)}] = {value}")
        self.closed = True

    def _new_block(self, columns: int) -> None:
        self.blocks.append(_Block(columns, []))
        self.closed = False

    def _local(self, var: Variable) -> bool:
        """Whether ``var`` is computed in the current block (read as a local)."""
        return id(var) in self.names and self.block_of[id(var)] == len(self.blocks) - 1 and not self.closed

    def _read(self, var: Variable) -> str:
        if is_literal(var):
            return literal(var)
        if self._local(var):
            return self.names[id(var)]
        row, offset = self._row(var)
        return self._element(row, offset, width(var), self.blocks[-1].width)

    def _row(self, var: Variable) -> tuple[str, int]:
        """The row ``var``'s elements are read from (stored there if computed), or
        for a scalar its name (offset -1)."""
        if is_literal(var):
            return literal(var), -1
        if id(var) not in self.rows_of:
            stores = self.stores[id(var)]
            if not stores or stores[0][1]:  # no row of its own yet
                self.scratch.append((f"m{len(self.scratch)}", width(var), var.type.dtype))
                stores.insert(0, (self.scratch[-1][0] + "[", 0))
            self.rows_of[id(var)] = stores[0]
        return self.rows_of[id(var)]

    @staticmethod
    def _element(row: str, offset: int, columns: int, block_width: int) -> str:
        if offset < 0:  # a scalar input
            return row
        return f"{row}{offset}]" if columns == 1 and block_width > 1 else f"{row}{_plus('j', offset)}]"

    def source(self) -> str:
        arguments = [f"a{k}" for k in range(len(self.inputs))] + [f"o{k}" for k in range(len(self.outputs))]
        lines = [HEADER, "", '@numba.njit(cache=True, error_model="numpy", nogil=True)',
                 f"def kernel({', '.join(arguments)}):"]
        lines += ["    " + line for line in self._checks()]
        lines += [f"    {name} = np.empty({columns}, {_dtype(dtype)})" for name, columns, dtype in self.scratch]
        lines += [f"    c{k} = a{k}[()]" for k, var in enumerate(self.inputs) if not var.ndim]
        indent = "    "
        if self.rows is not None:
            lines.append(f"    for i in range({self.rows}):")
            indent = "        "
        for block in self.blocks:
            lines.append(f"{indent}for j in range({block.width}):")
            lines += [f"{indent}    {line}" for line in self._with_stores(block)]
        return "\n".join(lines) + "\n"

    def _with_stores(self, block: _Block) -> list[str]:
        lines = []
        for line in block.lines:
            lines.append(line)
            name = line.split(" = ", 1)[0]
            if name in self.var_of_name:
                lines += [f"{row}{_plus('j', at)}] = {name}" for row, at in self.stores[self.var_of_name[name]]]
        return lines

    def _checks(self) -> list[str]:
        arrays = [(f"a{k}", v) for k, v in enumerate(self.inputs)] + [(f"o{k}", v) for k, v in enumerate(self.outputs)]
        condition = " or ".join(f"{name}.shape != {tuple(v.type.shape)!r}" for name, v in arrays)
        return [f"if {condition}:",
                '    raise ValueError("a fused kernel was given arrays of other shapes than it was made for")']

    def _indexed(self, name: str, var: Variable) -> str:
        """How an element of row ``i`` of array ``name`` is indexed, up to its column
        (two indices, not a view of the row: numba then vectorizes short rows too)."""
        if self.rows is None or var.ndim == 1:
            return f"{name}["
        return f"{name}[0, " if var.type.shape[0] == 1 and self.rows != 1 else f"{name}[i, "


def _plus(index: str, offset: int) -> str:
    return f"{index} + {offset}" if offset else index


def _dtype(dtype: np.dtype) -> str:
    return "bool_" if dtype.kind == "b" else np.dtype(dtype).name


def is_literal(var: Variable) -> bool:
    """Whether ``var`` is a constant of one element, written into kernels as a literal."""
    return isinstance(var, Constant) and var.value.size == 1


def literal(constant: Constant) -> str:
    """A one-element constant as a typed literal of generated code."""
    value = constant.value.reshape(()).item()
    return f"{_dtype(constant.value.dtype)}({value!r})"
