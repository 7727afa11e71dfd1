"""Recurrent bricks: write one step with ``@recurrent``, run whole sequences."""

from .base import BaseRecurrent, recurrent
from .bidirectional import Bidirectional
from .gru import GatedRecurrent
from .lstm import LSTM
from .simple import SimpleRecurrent
from .stack import RecurrentStack
from .stateful import CarriedStates

__all__ = ["BaseRecurrent", "Bidirectional", "CarriedStates", "GatedRecurrent", "LSTM", "RecurrentStack",
           "SimpleRecurrent", "recurrent"]
