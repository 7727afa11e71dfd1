"""Saving quick-start models to one ``.npz`` file, and loading them back.

The file holds, as plain arrays (``np.load(path, allow_pickle=False)`` reads
it):

- ``__model__``: JSON text with the class, the layer specs, the options and
  the training settings (step rule and its hyper-parameters);
- each parameter by hierarchical name, such as ``/lstm_1.W_state`` (so
  :func:`~brickwork.serialization.load_parameters_into` loads it into bricks);
- once the model has trained: the step rule's state (``__state__/<i>``) and, as
  JSON under ``__meta__``, the log, the counters, the data stream's position
  and the random streams' state -- what a checkpoint of the main loop holds.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..distributed import writes_files
from ..errors import BrickError
from ..extensions.checkpoint import checkpoint_arrays
from ..serialization import load_parameters, parameter_dict, save_arrays, set_parameter_values

FORMAT = 1


def save_model(model: Any, path: str) -> None:
    """Write ``model`` (parameters, specs, options, training state) to ``path`` atomically.

    After distributed training every process calls it (the random streams
    of all ranks are gathered) and rank 0 alone writes.
    """
    arrays = _training_arrays(model)
    arrays.update({name: p.get_value() for name, p in parameter_dict(model.bricks).items()})
    session = model._session
    description = {"format": FORMAT, "class": type(model).__name__, "layers": model.specs,
                   "options": model.options(), "training": session.settings if session else None}
    arrays["__model__"] = _text_array(json.dumps(description))
    if session is None or writes_files(session.algorithm):
        save_arrays(path, arrays, compressed=True)


def _training_arrays(model: Any) -> dict[str, np.ndarray]:
    session = model._session
    if session is not None and session.loop is not None:
        return checkpoint_arrays(session.loop)
    if session is not None and session.pending is not None:
        return dict(session.pending)
    resumed = getattr(model, "_resumed", None)
    return dict(resumed[1]) if resumed else {}


def load_model(path: str) -> Any:
    """A model saved by ``model.save(path)``, of the same class, ready to predict and to train on.

    Its next ``train`` call continues the saved training (step-rule state,
    counters, data stream position) if it uses the same step rule settings.

    Raises
    ------
    BrickError
        If the file is not a saved model, or its parameters do not fit its specs.
    """
    from .heads import MODEL_CLASSES
    values = load_parameters(path)
    if "__model__" not in values:
        raise BrickError(f"{path} is not a saved model (no __model__ entry); "
                         "use brickwork.serialization.load_parameters_into for parameter files")
    description = json.loads(values.pop("__model__").tobytes().decode())
    if description["class"] not in MODEL_CLASSES:
        raise BrickError(f"{path}: unknown model class {description['class']!r}")
    layers = [tuple(s) if isinstance(s, list) else s for s in description["layers"]]
    model = MODEL_CLASSES[description["class"]](layers, **description["options"])
    parameters = parameter_dict(model.bricks)
    set_parameter_values(parameters, {k: v for k, v in values.items() if k in parameters})
    if "__meta__" in values and description["training"] is not None:
        model._resumed = (description["training"], values)
    return model


def _text_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), dtype=np.uint8)
