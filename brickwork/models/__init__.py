"""Quick-start models from layer specs, for users of theanets and Keras.

``Regressor(layers=[1, ('lstm', 10), 1])`` reads: inputs with 1 feature, an
LSTM of 10 units, a linear output of 1 feature. Specs:

- an int ``n``: a dense layer (tanh when hidden, linear at the output);
- ``('lstm', n)``, ``('gru', n)``, ``('rnn', n)``: recurrent layers, each
  preceded by its own input projection; ``('bilstm', n)``, ``('bigru', n)``,
  ``('birnn', n)``: bidirectional (a forward and a backward layer, outputs
  concatenated: ``2 n`` features); options as a last element, such as
  ``('lstm', n, {'recurrent_dropout': 0.2})`` (one dropout mask on the state
  entering the recurrence, the same at every step);
- ``('dropout', p)``: zero each feature with probability ``p`` while
  training (predict, evaluate and validation run without dropout);
- a first ``('embed', vocabulary, dim)``: integer inputs.

Recurrent models take time-major ``(time, batch, features)`` arrays (the
layout of :func:`brickwork.data.pad_sequences`) and a ``(time, batch)`` mask
marking padding; ``time_major=False`` takes batch-major ``(batch, time,
features)`` arrays instead, as Keras does.

A :class:`Regressor` predicts at every time step and minimizes the mean
squared error. A :class:`Classifier` predicts one class per sequence, from
the last time step (masked sequences keep their last state frozen, so that is
their last real step), per example for dense-only models, or per time step
with ``per_step=True`` (tagging).

``model.train`` continues where the previous call stopped; ``model.save``
writes one ``.npz`` file that :func:`load_model` reads back (predictions
identical, training resumable).

The package: :mod:`~brickwork.models.specs` turns layer specs into bricks
(:mod:`~brickwork.models.cells` holds the recurrent bricks with recurrent
dropout), :mod:`~brickwork.models.network` holds the model base (predict,
summary, save), :mod:`~brickwork.models.training` trains and evaluates,
:mod:`~brickwork.models.persistence` writes and reads model files, and
:mod:`~brickwork.models.heads` defines the losses of each kind of model.
"""

from .heads import Classifier, Regressor
from .persistence import load_model

__all__ = ["Classifier", "Regressor", "load_model"]
