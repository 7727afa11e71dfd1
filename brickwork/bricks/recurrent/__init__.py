"""Recurrent bricks: write one step with ``@recurrent``, run whole sequences."""

from .base import BaseRecurrent, recurrent
from .bidirectional import Bidirectional
from .cell import RecurrentCell
from .gru import GatedRecurrent
from .indrnn import IndRNN
from .lstm import LSTM
from .simple import SimpleRecurrent
from .stack import RecurrentStack
from .stateful import CarriedStates

__all__ = ["BaseRecurrent", "Bidirectional", "CarriedStates", "GatedRecurrent", "IndRNN", "LSTM",
           "RecurrentCell", "RecurrentStack", "SimpleRecurrent", "recurrent"]
