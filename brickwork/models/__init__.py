"""Quick-start models from layer specs, for users of theanets and Keras.

``Regressor(layers=[1, ('lstm', 10), 1])`` reads: inputs with 1 feature, an
LSTM of 10 units, a linear output of 1 feature. Specs: an int is a dense
layer (tanh when hidden, linear at the output); ``('lstm', n)``,
``('gru', n)``, ``('rnn', n)`` are recurrent layers, each preceded by its own
input projection; a first spec ``('embed', vocabulary, dim)`` takes integer
inputs. Recurrent models work on time-major ``(time, batch, features)``
arrays; a ``(time, batch)`` mask may mark padding.

A :class:`Regressor` predicts at every time step and minimizes the mean
squared error. A :class:`Classifier` predicts one class per sequence, from
the last time step (masked sequences keep their last state frozen, so that is
their last real step), or per example for dense-only models.

The package: :mod:`~brickwork.models.specs` turns layer specs into bricks,
:mod:`~brickwork.models.network` holds the model base (predict, summary),
:mod:`~brickwork.models.training` trains and evaluates, and
:mod:`~brickwork.models.heads` defines the losses of each kind of model.
"""

from .heads import Classifier, Regressor
from .persistence import load_model

__all__ = ["Classifier", "Regressor", "load_model"]
