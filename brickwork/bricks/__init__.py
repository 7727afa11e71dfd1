"""Bricks: parametrized transformations that build graphs (``brickwork.bricks``)."""

from .base import Application, ApplicationCall, Brick, application, check_features, lazy
from .interfaces import Feedforward, Initializable, Random
from .parallel import Fork
from .sequences import MLP, Sequence
from .simple import Bias, Identity, Linear, Logistic, Rectifier, Softmax, Softplus, Tanh

__all__ = [
    "MLP", "Application", "ApplicationCall", "Bias", "Brick", "Feedforward", "Fork", "Identity",
    "Initializable", "Linear", "Logistic", "Random", "Rectifier", "Sequence", "Softmax",
    "Softplus", "Tanh", "application", "check_features", "lazy",
]
