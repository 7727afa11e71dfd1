import numpy as np

from brickwork import function, grad, shared, tensor


def test_linear_regression_step_matches_numpy():
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((5, 3))
    wv = rng.standard_normal((3, 2))
    x = tensor.matrix("x", dtype="float64")
    w = shared(wv, dtype="float64")
    cost = ((x @ w) ** 2).sum()
    f = function([x], [cost, grad(cost, w)])
    c, g = f(xv)
    np.testing.assert_allclose(c, ((xv @ wv) ** 2).sum(), rtol=1e-12)
    np.testing.assert_allclose(g, 2 * xv.T @ (xv @ wv), rtol=1e-12)
