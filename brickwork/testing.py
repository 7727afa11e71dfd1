"""Gradient checking against central finite differences.

:func:`check_grads` is public: users verify their own ops and bricks with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import GradientError
from .graph import function, grad
from .tensor.variable import Constant, TensorType, Variable


def check_grads(f: Callable[..., Variable], args: Sequence[Any], order: int = 1,
                eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-6,
                n_directions: int = 2, seed: int = 0) -> None:
    """Check the symbolic gradients of ``f`` at ``args`` numerically.

    ``f`` maps symbolic variables (one per array in ``args``) to a symbolic
    result of any shape. The result is projected on a fixed random array to
    a scalar ``c``, and for each float argument ``x`` and random directions
    ``d`` the analytic ``<grad c, d>`` is compared with the central difference
    ``(c(x + eps d) - c(x - eps d)) / (2 eps)``. With ``order=2`` the same check
    runs on ``<grad c, v>`` for a random ``v``, which tests the gradient of
    the gradient (Hessian-vector products).

    Use float64 arrays: in float64 the central difference is accurate to
    about ``eps**2 * |c'''| + 1e-16 |c| / eps``, about 1e-10 for smooth
    functions of moderate size, well inside the default tolerances.

    Raises
    ------
    GradientError
        On a mismatch; it names the argument, the element whose partial
        derivative is furthest off, the analytic and numeric values and the
        tolerance.
    """
    args = [np.asarray(a) for a in args]
    rng = np.random.default_rng(seed)
    variables = [Variable(TensorType(a.dtype, (None,) * a.ndim), name=f"arg{i}")
                 for i, a in enumerate(args)]
    scalar_fn = _projected(f, variables, args, rng)
    for _ in range(order - 1):
        scalar_fn = _hessian_vector(scalar_fn, variables, args, rng)
    cost = scalar_fn(*variables)
    diff = [i for i, a in enumerate(args) if a.dtype.kind == "f"]
    grads = grad(cost, [variables[i] for i in diff], disconnected_inputs="zero")
    evaluate = function(variables, cost)
    analytic = function(variables, grads)(*args)
    for i, g in zip(diff, analytic):
        for _ in range(n_directions):
            d = rng.standard_normal(args[i].shape)
            numeric = _central(evaluate, args, i, d, eps)
            exact = float(np.sum(g * d))
            if not np.isclose(exact, numeric, rtol=rtol, atol=atol):
                _report(evaluate, args, i, g, eps, rtol, atol, exact, numeric)


def _projected(f, variables, args, rng) -> Callable[..., Variable]:
    out = f(*variables)
    shape = function(variables, out)(*args).shape
    weights = Constant(rng.standard_normal(shape))
    return lambda *xs: (f(*xs) * weights).sum()


def _hessian_vector(scalar_fn, variables, args, rng) -> Callable[..., Variable]:
    floats = [i for i, a in enumerate(args) if a.dtype.kind == "f"]
    vs = {i: Constant(rng.standard_normal(args[i].shape)) for i in floats}

    def directional(*xs):
        grads = grad(scalar_fn(*xs), [xs[i] for i in floats], disconnected_inputs="zero")
        return sum(((g * vs[i]).sum() for i, g in zip(floats, grads)), Constant(0.0))
    return directional


def _central(evaluate, args, i, d, eps) -> float:
    plus = list(args)
    minus = list(args)
    plus[i] = args[i] + eps * d
    minus[i] = args[i] - eps * d
    return float((evaluate(*plus) - evaluate(*minus)) / (2 * eps))


def _report(evaluate, args, i, g, eps, rtol, atol, exact, numeric) -> None:
    worst, where = -1.0, None
    for position in np.ndindex(*args[i].shape) if args[i].size <= 4096 else []:
        d = np.zeros(args[i].shape)
        d[position] = 1.0
        num = _central(evaluate, args, i, d, eps)
        err = abs(num - float(g[position]))
        if err > worst:
            worst, where, pair = err, position, (float(g[position]), num)
    detail = (f" worst at position {where}: analytic {pair[0]:.8g}, numeric {pair[1]:.8g};"
              if where is not None else "")
    raise GradientError(
        f"gradient mismatch for argument {i} (shape {args[i].shape}):{detail} "
        f"along a random direction analytic {exact:.8g}, numeric {numeric:.8g} "
        f"(rtol={rtol}, atol={atol}, eps={eps})")
