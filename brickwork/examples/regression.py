"""Least-squares regression by gradient descent, with grad and function only."""

from __future__ import annotations

import argparse

import numpy as np

from brickwork import function, grad, shared, tensor


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m brickwork.examples regression",
                                     description=__doc__)
    parser.add_argument("--steps", type=int, default=200, help="training steps")
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    args = parser.parse_args(argv)
    steps = 20 if args.quick else args.steps

    rng = np.random.default_rng(0)
    true_w = rng.standard_normal((5, 2))
    inputs = rng.standard_normal((256, 5)).astype("float32")
    targets = (inputs @ true_w + 0.01 * rng.standard_normal((256, 2))).astype("float32")

    x, y = tensor.matrix("x"), tensor.matrix("y")
    w = shared(np.zeros((5, 2)), name="W")
    b = shared(np.zeros(2), name="b")
    cost = ((x @ w + b - y) ** 2).sum(axis=1).mean()
    gw, gb = grad(cost, [w, b])
    train = function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])

    first = float(train(inputs, targets))
    for step in range(1, steps):
        last = float(train(inputs, targets))
        if step % max(steps // 5, 1) == 0:
            print(f"step {step:4d}  mean squared error {last:.5f}")
    print(f"error went from {first:.4f} to {last:.5f}; "
          f"largest weight error {np.abs(w.get_value() - true_w).max():.4f}")
    return 0
