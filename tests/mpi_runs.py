"""Training runs that ``tests/test_distributed.py`` starts under ``mpiexec -n 2`` and alone.

A masked recurrent regression in float64 (the tests set
``BRICKWORK_FLOATX=float64``): sequences of 2 to 9 steps, so the two halves
of a global batch hold different numbers of real steps; 23 sequences in
global batches of 8, so the last one splits 4 and 3. Each process writes its
parameters, the logged costs and its counters to ``<out>_rank<r>.npz``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from brickwork import initialization, tensor
from brickwork.algorithms import Adam, CompositeRule, GradientDescent, StepClipping
from brickwork.bricks import Linear, Tanh
from brickwork.bricks.recurrent import SimpleRecurrent
from brickwork.data import ArrayStream
from brickwork.distributed import world
from brickwork.extensions import Checkpoint, Extension, FinishAfter, Load, TrainingDataMonitoring
from brickwork.graph import ComputationGraph, apply_dropout
from brickwork.main_loop import MainLoop
from brickwork.models import Classifier


def build(dropout: float) -> tuple:
    x, mask, y = tensor.tensor3("x"), tensor.matrix("mask"), tensor.tensor3("y")
    bricks = [Linear(3, 5, name="into"), SimpleRecurrent(5, Tanh(), name="rnn"), Linear(5, 2, name="out")]
    for i, brick in enumerate(bricks):
        brick.weights_init, brick.biases_init = initialization.IsotropicGaussian(0.5), initialization.Constant(0.1)
        brick.seed = 10 + i
        brick.initialize()
    states = bricks[1].apply(bricks[0].apply(x), mask=mask)
    error = ((bricks[2].apply(states) - y) ** 2).sum(axis=-1) * mask
    cost = error.sum() / mask.sum()
    if dropout:
        cost = apply_dropout(ComputationGraph(cost), [states], dropout, seed=4).outputs[0]
    cost.name = "cost"
    return cost, mask, [p for b in bricks for p in b.parameters]


def arrays(n: int = 23, length: int = 9) -> dict:
    rng = np.random.default_rng(0)
    lengths = rng.integers(2, length + 1, n)
    mask = (np.arange(length)[:, None] < lengths[None, :]).astype("float64")
    return {"x": rng.normal(size=(length, n, 3)), "mask": mask, "y": rng.normal(size=(length, n, 2))}


class StopOnRankZero(Extension):
    """A decision only rank 0 makes (as early stopping on a log only it kept might)."""

    def __init__(self, at: int):
        super().__init__(after_batch=True)
        self.at = at

    def do(self, callback):
        if world().rank == 0 and self.main_loop.status["iterations_done"] >= self.at:
            self.main_loop.status["training_finish_requested"] = True


class FailOnRankOne(StopOnRankZero):
    def do(self, callback):
        if world().rank == 1 and self.main_loop.status["iterations_done"] >= self.at:
            raise RuntimeError("a deliberate failure on rank 1")


class HangOnRankOne(StopOnRankZero):
    def do(self, callback):
        if world().rank == 1 and self.main_loop.status["iterations_done"] >= self.at:
            time.sleep(600)


def train_classifier(args: argparse.Namespace) -> None:
    """``Classifier.train(..., distributed=args.distributed)`` with a sharded validation set."""
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 8, 30)
    mask = (np.arange(7)[:, None] < lengths[None, :]).astype("float64")
    words = rng.integers(1, 20, (7, 30)) * mask.astype("int64")
    labels = (words.sum(0) % 3).astype("int64")
    net = Classifier(layers=[("embed", 20, 4), ("lstm", 5), 3], seed=2)
    stopping = {"patience": args.patience, "epochs": 40} if args.patience else {"max_updates": args.updates}
    history = net.train([words, mask, labels], algo="adam", learning_rate=0.02, batch_size=8,
                        validation_split=0.2, verbose=False, distributed=args.distributed, **stopping)
    valid = [[row[k] for k in ("valid_loss", "valid_accuracy")] for row in history]
    np.savez(f"{args.out}_rank{world().rank}.npz", valid=np.array(valid), epochs=len(history),
             **{f"p{i}": p.get_value() for i, p in enumerate(net.parameters)})


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--distributed", action="store_true")
    parser.add_argument("--classifier", action="store_true", help="train a quick-start Classifier instead")
    parser.add_argument("--patience", type=int, help="the Classifier stops early (at most 40 epochs)")
    parser.add_argument("--weight-by-examples", action="store_true",
                        help="weigh each process by its examples, not its real steps (wrong with masks)")
    parser.add_argument("--updates", type=int, default=8)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--checkpoint")
    parser.add_argument("--stop-on-rank-zero", type=int)
    parser.add_argument("--fail-on-rank-one", type=int)
    parser.add_argument("--hang-on-rank-one", type=int)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.classifier:
        return train_classifier(args)
    cost, mask, parameters = build(args.dropout)
    stream = ArrayStream(arrays(), 8, seed=3, batch_axis=1, distributed=args.distributed)
    algorithm = GradientDescent(cost=cost, parameters=parameters,
                                step_rule=CompositeRule([StepClipping(1.0), Adam(0.05)]),
                                distributed=args.distributed, count=None if args.weight_by_examples else mask.sum())
    extensions = [TrainingDataMonitoring([cost], after_batch=True, after_epoch=False),
                  FinishAfter(after_n_batches=args.updates)]
    if args.checkpoint:
        extensions += [Load(args.checkpoint), Checkpoint(args.checkpoint, every_n_batches=1)]
    if args.stop_on_rank_zero:
        extensions.append(StopOnRankZero(args.stop_on_rank_zero))
    if args.fail_on_rank_one:
        extensions.append(FailOnRankOne(args.fail_on_rank_one))
    if args.hang_on_rank_one:
        extensions.append(HangOnRankOne(args.hang_on_rank_one))
    loop = MainLoop(algorithm, stream, extensions=extensions).run()
    costs = [loop.log[i]["train_cost"] for i in sorted(loop.log) if "train_cost" in loop.log[i]]
    np.savez(f"{args.out}_rank{world().rank}.npz", costs=np.array(costs),
             iterations=loop.status["iterations_done"],
             **{f"p{i}": p.get_value() for i, p in enumerate(parameters)})


if __name__ == "__main__":
    main(sys.argv[1:])
