"""Matrix products inside loops compiled whole (:mod:`brickwork.scan.loopkernel`).

numba calls BLAS (through SciPy's bindings) for ``np.dot`` on contiguous
operands, at 2 to 5 microseconds for the products of small steps, against
3 to 6 for NumPy's ``matmul`` called from Python (32 x 10 times 10 x 40, and
32 x 64 times 64 x 64, float32, measured). A loop of plain multiply-adds
vectorized by LLVM took 4 and 22 microseconds: BLAS it is. Operands that are
not contiguous (a broadcast initial state) are copied first.
"""

from __future__ import annotations

import numba
import numpy as np

#: the largest ``rows * shared * columns`` of a product in a loop compiled whole: a
#: step of such products does little work, and the interpreter between them is a
#: large part of its time (W2's 32 x 64 x 64: the whole loop is 14% faster; W3's
#: 64 x 256 x 1024: the loop's own time is lost in the products)
SMALL_PRODUCT = 2 ** 18

_OPTIONS = dict(error_model="numpy", cache=True, nogil=True)


@numba.njit(**_OPTIONS)
def matmul_into(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out[...] = a @ b`` for matrices, by BLAS (SciPy's, which numba calls).

    Parameters
    ----------
    a : array (m, k)
    b : array (k, n)
    out : array (m, n)
    """
    np.dot(np.ascontiguousarray(a), np.ascontiguousarray(b), out)


@numba.njit(**_OPTIONS)
def vecmat_into(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out[...] = a @ b`` for a vector times a matrix, by BLAS.

    Parameters
    ----------
    a : array (k,)
    b : array (k, n)
    out : array (n,)
    """
    np.dot(np.ascontiguousarray(a), np.ascontiguousarray(b), out)
