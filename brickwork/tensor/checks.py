"""Run-time checks: an integer array passes through, or the call stops with an error
that says where the array came from and what was wrong with it.

NumPy indexing wraps negative indices around (row -1 is the last row), so an
id or a class label out of range would otherwise give a silent wrong answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ExecutionError
from .op import Op
from .variable import Variable, as_variable


class CheckRange(Op):
    """Integer ``x`` unchanged when every entry is in ``[0, high)``, else an ExecutionError.

    Parameters
    ----------
    where : str
        What ``x`` is, to start the message: ``"/embed.apply: input 'indices'"``.
    what : str
        What its entries are, such as ``"id"`` or ``"class label"``.
    bound : str
        What ``high`` is, such as ``"the table's length"``.
    """

    passes_through = True
    props = ("where", "what", "bound")

    def __init__(self, where: str, what: str, bound: str):
        self.where, self.what, self.bound = where, what, bound

    def infer(self, x, high):
        if x.type.dtype.kind not in "iu":
            raise self.fail(f"{self.where} must hold integers, got dtype {x.type.dtype}")
        return [x.type]

    def perform(self, x, high):
        values = np.asarray(x)
        if values.size and (values.min() < 0 or values.max() >= high):
            position = tuple(int(i) for i in np.argwhere((values < 0) | (values >= high))[0])
            raise ExecutionError(f"{self.where} has {self.what} {values[position]} at position {position}, "
                                 f"but {self.what}s must be in [0, {int(high)}) ({self.bound} is {int(high)})")
        return x

    def vjp(self, node, grads):
        return [None, None]


def check_range(x: Any, high: Any, where: str, what: str, bound: str) -> Variable:
    """``x`` (integers, any shape), checked at every call to lie in ``[0, high)``.

    Parameters
    ----------
    x : integer Variable, any shape
    high : int or int scalar Variable
    where, what, bound : str
        For the message; see :class:`CheckRange`.

    Returns
    -------
    Variable
        ``x`` itself (same shape), once checked.
    """
    return CheckRange(where, what, bound)(as_variable(x), as_variable(high, "int64"))
