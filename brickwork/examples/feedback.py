"""The FeedbackRNN of the Blocks tutorial, trained to output running sums of its input."""

from __future__ import annotations

import argparse

import numpy as np

from brickwork import function, initialization, tensor
from brickwork.algorithms import Adam, GradientDescent
from brickwork.bricks import Identity, Initializable, Linear
from brickwork.bricks.recurrent import BaseRecurrent, SimpleRecurrent, recurrent
from brickwork.data import CallableStream
from brickwork.extensions import FinishAfter, Printing, TrainingDataMonitoring
from brickwork.main_loop import MainLoop
from brickwork.model import Model

from . import HELP_FORMAT
from .plotting import save_curve


class FeedbackRNN(BaseRecurrent, Initializable):
    """Two recurrent layers; the first also reads the second's previous state."""

    def __init__(self, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.first = SimpleRecurrent(dim=dim, activation=Identity(), name="first_recurrent_layer")
        self.second = SimpleRecurrent(dim=dim, activation=Identity(), name="second_recurrent_layer")
        self.children = [self.first, self.second]

    @recurrent(sequences=["inputs"], contexts=[], states=["first_states", "second_states"],
               outputs=["first_states", "second_states"])
    def apply(self, inputs, first_states=None, second_states=None):
        first_h = self.first.apply(inputs=inputs, states=first_states + second_states, iterate=False)
        second_h = self.second.apply(inputs=first_h, states=second_states, iterate=False)
        return first_h, second_h

    def get_dim(self, name):
        return self.dim if name in ("inputs", "first_states", "second_states") else super().get_dim(name)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m brickwork.examples feedback", description=__doc__,
                                     formatter_class=HELP_FORMAT)
    parser.add_argument("--updates", type=int, default=1500, help="parameter updates")
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    parser.add_argument("--plot", default="feedback.png", help="where to draw the learning curve")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    length, batch, dim = 10, 32, 3

    def generate():
        x = (0.3 * rng.standard_normal((length, batch, dim))).astype("float32")
        return {"x": x, "y": np.cumsum(x, axis=0)}

    feedback = FeedbackRNN(dim, weights_init=initialization.IsotropicGaussian(0.2), seed=1)
    readout = Linear(dim, dim, weights_init=initialization.IsotropicGaussian(0.2),
                     biases_init=initialization.Constant(0), name="readout", seed=2)
    for brick in (feedback, readout):
        brick.initialize()
    x, y = tensor.tensor3("x"), tensor.tensor3("y")
    second = feedback.apply(inputs=x)[1]
    cost = ((readout.apply(second) - y) ** 2).mean()
    cost.name = "mse"
    test = generate()
    baseline = float((test["y"] ** 2).mean())
    algorithm = GradientDescent(cost=cost, step_rule=Adam(0.01))
    loop = MainLoop(algorithm, CallableStream(generate, batches_per_epoch=100), model=Model(cost),
                    extensions=[TrainingDataMonitoring([cost], prefix="train"),
                                FinishAfter(after_n_batches=20 if args.quick else args.updates),
                                Printing(every_n_epochs=5)])
    evaluate = function([x, y], cost)
    before = float(evaluate(test["x"], test["y"]))
    loop.run()
    after = float(evaluate(test["x"], test["y"]))
    curve = [(i, row["train_mse"]) for i, row in sorted(loop.log.items()) if "train_mse" in row]
    save_curve(args.plot, {"training MSE": curve}, "FeedbackRNN, running sums", "MSE",
               baselines={"predicting zero": baseline})
    print(f"running-sum MSE: predicting zero {baseline:.4f}, untrained {before:.4f}, trained {after:.2e}")
    return 0
