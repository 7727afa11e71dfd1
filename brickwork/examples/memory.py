"""The theanets memory task: an LSTM(10) recalls the first K inputs after T steps."""

from __future__ import annotations

import argparse
import time

import numpy as np

from brickwork.models import Regressor

from . import HELP_FORMAT
from .plotting import save_curve


def make_generator(length: int, recall: int, batch_size: int, rng: np.random.Generator):
    """Batches ``[inputs, targets]`` ``(length, batch, 1)``: the last ``recall`` targets
    repeat the first ``recall`` inputs; everything else is noise."""
    def generate():
        inputs, targets = rng.standard_normal((2, length, batch_size, 1)).astype("float32")
        inputs[:recall] = targets[-recall:] = rng.standard_normal((recall, batch_size, 1))
        return [inputs, targets]
    return generate


def recall_error(net: Regressor, generate, recall: int, batches: int = 16) -> float:
    """Mean squared error on the recalled steps only."""
    errors = []
    for _ in range(batches):
        inputs, targets = generate()
        errors.append(float(((net.predict(inputs)[-recall:] - targets[-recall:]) ** 2).mean()))
    return float(np.mean(errors))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m brickwork.examples memory", description=__doc__,
                                     formatter_class=HELP_FORMAT)
    parser.add_argument("--length", type=int, default=20, help="T, the sequence length")
    parser.add_argument("--recall", type=int, default=3, help="K, the values to remember")
    parser.add_argument("--updates", type=int, default=1500, help="updates per curriculum stage")
    parser.add_argument("--learning-rate", type=float, default=0.01,
                        help="RMSProp learning rate (a third of it in the last stage)")
    parser.add_argument("--forget-bias", type=float, default=1.0, help="initial bias of the LSTM forget gate")
    parser.add_argument("--plot", default="memory.png", help="where to draw the learning curve")
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    args = parser.parse_args(argv)
    updates = 30 if args.quick else args.updates
    rng = np.random.default_rng(0)
    final = make_generator(args.length, args.recall, 32, rng)
    # A curriculum over T: the long-range recall is learned first on short sequences.
    stages = sorted({min(8, args.length), (8 + args.length) // 2, args.length})
    net = Regressor(layers=[1, ("lstm", 10), 1], forget_bias=args.forget_bias)
    before = recall_error(net, final, args.recall)
    print(f"untrained: recall MSE {before:.4f} at T={args.length} (predicting 0 scores about 1.0)")
    curve, started, done = [], time.perf_counter(), 0
    for stage, length in enumerate(stages + [args.length]):
        rate = args.learning_rate / (3 if stage == len(stages) else 1)
        rows = net.train(make_generator(length, args.recall, 32, rng), algo="rmsprop", max_updates=updates,
                         learning_rate=rate, verbose=False)
        done += updates
        error = recall_error(net, final, args.recall)
        curve.append((done, error))
        print(f"T={length:3d} lr={rate:.4f}: {done:5d} updates, train loss {rows[-1]['train_loss']:.4f}, "
              f"recall MSE at T={args.length} {error:.4f} ({time.perf_counter() - started:.1f} s)")
    print(f"recall MSE at T={args.length}: {before:.4f} untrained -> {curve[-1][1]:.4f} trained")
    predicting_zero = float(np.mean([(final()[1][-args.recall:] ** 2).mean() for _ in range(16)]))
    save_curve(args.plot, {"recall MSE (16 fresh batches)": [(0, before)] + curve},
               f"memory task, LSTM(10), T={args.length}", "recall MSE",
               baselines={"predicting 0": predicting_zero})
    return 0

