"""Checkpoints: save the whole training state, and resume it exactly.

A checkpoint is one ``.npz`` file, written atomically: the parameters (by
hierarchical name when the main loop has a model, else ``parameter_<i>``),
the step rule's state (``state_<i>``) and, under ``__meta__``, JSON text with
the log, the status counters, the data stream's position and random
state, and the state of the random streams the training graph draws from
(dropout masks, and draws inside a scan's step, such as sampling). No graph is
pickled: loading needs the same model built by the same code, and checks
every name and shape before changing anything.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from ..distributed.data_parallel import gather_random_states, own_random_states, writes_files
from ..errors import TrainingError
from ..serialization import load_parameters, save_arrays, set_parameter_values
from ..tensor.random import random_streams
from .base import Extension


def _parameters(main_loop: Any) -> dict[str, Any]:
    model = main_loop.model
    if model is not None and hasattr(model, "get_parameter_dict"):
        return dict(model.get_parameter_dict())
    return {f"parameter_{i}": p for i, p in enumerate(main_loop.algorithm.parameters)}


def _states(main_loop: Any) -> dict[str, Any]:
    return {f"state_{i}": v for i, v in enumerate(main_loop.algorithm.state_variables())}


def _random_streams(main_loop: Any) -> list:
    """The random streams the training graph draws from (dropout masks, noise, draws inside
    scan steps), in graph order."""
    algorithm = main_loop.algorithm
    return random_streams([algorithm.cost] + list(getattr(algorithm, "gradients", {}).values()))


def checkpoint_arrays(main_loop: Any) -> dict[str, np.ndarray]:
    """What a checkpoint holds, as named arrays (the JSON metadata under ``__meta__``).

    In distributed training every process calls it: the random streams of
    every rank are gathered to rank 0.
    """
    arrays = {name: p.get_value() for name, p in {**_parameters(main_loop), **_states(main_loop)}.items()}
    stream = main_loop.data_stream
    meta = {"status": main_loop.status,
            "log": {str(k): _plain(v) for k, v in main_loop.log.items()},
            "stream": stream.get_state() if hasattr(stream, "get_state") else None,
            "random_streams": [r.get_state() for r in _random_streams(main_loop)]}
    meta["random_streams_by_rank"] = gather_random_states(main_loop.algorithm, meta["random_streams"])
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return arrays


def save_checkpoint(main_loop: Any, path: str) -> None:
    """Write parameters, step-rule state, log, counters and stream state to ``path``.

    In distributed training every process calls it and rank 0 alone writes.
    """
    arrays = checkpoint_arrays(main_loop)
    if writes_files(main_loop.algorithm):
        save_arrays(path, arrays)


def load_checkpoint(main_loop: Any, path: str) -> None:
    """Restore what :func:`save_checkpoint` wrote; nothing changes if anything mismatches."""
    values = load_parameters(path)
    if "__meta__" not in values:
        raise TrainingError(f"{path} is not a checkpoint (no __meta__ entry)")
    restore_checkpoint(main_loop, values)


def restore_checkpoint(main_loop: Any, values: dict[str, np.ndarray]) -> None:
    """Restore the arrays of :func:`checkpoint_arrays` into ``main_loop``; checked before any change."""
    values = dict(values)
    meta = json.loads(values.pop("__meta__").tobytes().decode())
    set_parameter_values({**_parameters(main_loop), **_states(main_loop)}, values)
    main_loop.status.update(meta["status"])
    main_loop.status["training_finish_requested"] = False
    main_loop.status["batch_interrupt_received"] = False
    main_loop.log.clear()
    main_loop.log.update({int(k): v for k, v in meta["log"].items()})
    if meta["stream"] is not None and hasattr(main_loop.data_stream, "set_state"):
        main_loop.data_stream.set_state(meta["stream"])
    for streams, state in zip(_random_streams(main_loop), own_random_states(main_loop.algorithm, meta)):
        streams.set_state(state)


def _plain(row: dict) -> dict:
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in row.items()}


class Checkpoint(Extension):
    """Save a checkpoint every ``every_n_epochs`` epochs, on Ctrl-C and at the end.

    More conditions may be given (Blocks' keywords); a condition added with
    a path as its argument (``add_condition([...], predicate, (path,))``, as
    ``EarlyStopping`` does) saves to that path instead.
    """

    def __init__(self, path: str, every_n_epochs: int = 1, every_n_batches: int | None = None,
                 **conditions: Any):
        conditions.setdefault("on_interrupt", True)
        conditions.setdefault("after_training", True)
        super().__init__(every_n_epochs=every_n_epochs, every_n_batches=every_n_batches, **conditions)
        self.path = path

    def do(self, callback: str, *args: Any) -> None:
        _, from_user = self.parse_args(callback, args)
        path = from_user[0] if from_user else self.path
        save_checkpoint(self.main_loop, path)
        self.log.current_row["saved_to"] = path


class Load(Extension):
    """Resume from a checkpoint before training, if the file exists."""

    def __init__(self, path: str, must_exist: bool = False):
        super().__init__(before_training=True)
        self.path, self.must_exist = path, must_exist

    def do(self, callback: str) -> None:
        if os.path.exists(self.path):
            load_checkpoint(self.main_loop, self.path)
        elif self.must_exist:
            raise TrainingError(f"no checkpoint at {self.path}")
