"""Checkpoints: save the whole training state, and resume it exactly.

A checkpoint is one compressed ``.npz`` file, written atomically. It holds
the parameters (by hierarchical name when the main loop has a model, else
``parameter_<i>``), the algorithm's state variables (``__state__/<i>``: the
step rule's state and the targets of extra updates, such as carried
recurrent states), the log by channel (``__log__/...``, see
:mod:`brickwork.extensions.training_state`) and, under ``__meta__``, JSON
text with the format tag, the status counters and the state of the data
stream, of every extension that has state and of the random streams the
training graph draws from, inside scan steps too; arrays within those
states are stored beside it. No graph is pickled: loading needs the same
model built by the same code. :func:`load_checkpoint` reads and checks
everything first (names, shapes, extensions, stream kind) and changes
nothing unless all of it fits.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from typing import Any

import numpy as np

from ..distributed.data_parallel import gather_random_states, own_random_states, writes_files
from ..errors import TrainingError
from ..serialization import parameter_mismatches, save_arrays
from ..tensor.random import random_streams
from .base import Extension
from .training_state import (
    array_references,
    join_arrays,
    log_array_keys,
    log_from_arrays,
    log_to_arrays,
    split_arrays,
    stateful_extensions,
)

FORMAT = "brickwork checkpoint 2"


def _parameters(main_loop: Any) -> dict[str, Any]:
    model = main_loop.model
    if model is not None and hasattr(model, "get_parameter_dict"):
        return dict(model.get_parameter_dict())
    return {f"parameter_{i}": p for i, p in enumerate(main_loop.algorithm.parameters)}


def _graph_outputs(algorithm: Any) -> list:
    outputs = [algorithm.cost] + list(getattr(algorithm, "gradients", {}).values())
    outputs += list(getattr(algorithm, "monitored", {}).values())
    updates = algorithm.all_updates() if hasattr(algorithm, "all_updates") else []
    return [v for v in outputs + [new for _, new in updates] if v is not None]


def checkpoint_arrays(main_loop: Any) -> dict[str, np.ndarray]:
    """What a checkpoint of ``main_loop`` holds, as named arrays (the JSON part under ``__meta__``).

    In distributed training every process calls it: the random streams of
    every rank are gathered to rank 0.
    """
    arrays = {name: p.get_value() for name, p in _parameters(main_loop).items()}
    states = main_loop.algorithm.state_variables()
    arrays.update({f"__state__/{i}": v.get_value() for i, v in enumerate(states)})
    stream = main_loop.data_stream
    meta = {"format": FORMAT, "status": dict(main_loop.status), "parameters": sorted(_parameters(main_loop)),
            "states": [v.name for v in states],
            "log": log_to_arrays(main_loop.log, arrays),
            "extensions": {key: split_arrays(extension.get_state(), f"__extensions__/{key}", arrays)
                           for key, extension in stateful_extensions(main_loop.extensions).items()},
            "stream": {"kind": type(stream).__name__,
                       "state": split_arrays(stream.get_state(), "__stream__", arrays)},
            "random_streams": [split_arrays(r.get_state(), f"__random__/{i}", arrays)
                               for i, r in enumerate(random_streams(_graph_outputs(main_loop.algorithm)))]}
    meta["random_streams_by_rank"] = gather_random_states(main_loop.algorithm, meta["random_streams"])
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return arrays


def save_checkpoint(main_loop: Any, path: str) -> None:
    """Write parameters, algorithm state, log, counters and every stream's and extension's state.

    In distributed training every process calls it and rank 0 alone writes.
    """
    arrays = checkpoint_arrays(main_loop)
    if writes_files(main_loop.algorithm):
        save_arrays(path, arrays, compressed=True)


def load_checkpoint(main_loop: Any, path: str) -> None:
    """Restore what :func:`save_checkpoint` wrote, all or nothing.

    Raises
    ------
    TrainingError
        When the file is not a readable checkpoint, or does not fit this main
        loop (its parameters, algorithm state, extensions, data stream or
        random streams); the message lists every mismatch, and nothing of the
        main loop has changed.
    """
    restore_checkpoint(main_loop, _read(path), source=path)


def restore_checkpoint(main_loop: Any, arrays: dict[str, np.ndarray], source: str = "the checkpoint",
                       matching_extensions: bool = False) -> None:
    """Restore the arrays of :func:`checkpoint_arrays` into ``main_loop``, all or nothing.

    With ``matching_extensions``, extensions are matched loosely: those in
    both the checkpoint and the main loop get their state back, the others
    are left alone (a quick-start model trained on with other options).
    """
    arrays = dict(arrays)
    meta = _meta(arrays, source)
    problems = _mismatches(main_loop, meta, arrays, matching_extensions)
    if problems:
        raise TrainingError(f"cannot resume from {source}: " + "; ".join(problems) + "; nothing was changed")
    for name, param in _parameters(main_loop).items():
        param.set_value(arrays[name])
    for i, var in enumerate(main_loop.algorithm.state_variables()):
        var.set_value(arrays[f"__state__/{i}"])
    main_loop.status.update(meta["status"])
    main_loop.status.update(training_finish_requested=False, batch_interrupt_received=False, interrupted=False)
    main_loop.log.clear()
    main_loop.log.update(log_from_arrays(meta["log"], arrays))
    for key, extension in stateful_extensions(main_loop.extensions).items():
        if key in meta["extensions"]:
            extension.set_state(join_arrays(meta["extensions"][key], arrays))
    main_loop.data_stream.set_state(join_arrays(meta["stream"]["state"], arrays))
    own_states = own_random_states(main_loop.algorithm, meta)
    for streams, state in zip(random_streams(_graph_outputs(main_loop.algorithm)), own_states):
        streams.set_state(join_arrays(state, arrays))


def _read(path: str) -> dict[str, np.ndarray]:
    """Every array of the file; a TrainingError if it cannot be read."""
    if not os.path.exists(path):
        raise TrainingError(f"no checkpoint at {path}")
    try:
        loaded = np.load(path, allow_pickle=False)
        arrays = None if isinstance(loaded, np.ndarray) else _members(loaded)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise TrainingError(f"{path} is not a readable checkpoint (truncated or not an .npz file: "
                            f"{error}); nothing was changed") from error
    if arrays is None:
        raise TrainingError(f"{path} holds one array (a .npy file), not a checkpoint (.npz); nothing was changed")
    return arrays


def _meta(arrays: dict[str, np.ndarray], source: str) -> dict:
    """The parsed ``__meta__`` entry (removed from ``arrays``); a TrainingError if it is no checkpoint."""
    if "__meta__" not in arrays:
        raise TrainingError(f"{source} is not a checkpoint (no __meta__ entry; a file of parameters is "
                            "loaded with brickwork.serialization.load_parameters_into); nothing was changed")
    try:
        meta = json.loads(arrays.pop("__meta__").tobytes().decode())
    except ValueError as error:
        raise TrainingError(f"{source}: its __meta__ entry is damaged ({error}); nothing was changed") from error
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format", "none") if isinstance(meta, dict) else "none"
        raise TrainingError(f"{source} has checkpoint format {found!r}, expected {FORMAT!r}; nothing was changed")
    return meta


def _members(loaded: Any) -> dict[str, np.ndarray]:
    with loaded:
        return {name: loaded[name] for name in loaded.files}


def _mismatches(main_loop: Any, meta: dict, arrays: dict[str, np.ndarray], matching: bool) -> list[str]:
    """Every way the checkpoint does not fit ``main_loop``."""
    saved = {name: arrays[name] for name in meta["parameters"] if name in arrays}
    problems = [f"parameter {p}" for p in parameter_mismatches(_parameters(main_loop), saved)]
    problems += _state_mismatches(main_loop.algorithm.state_variables(), meta["states"], arrays)
    if not matching:
        problems += _extension_mismatches(meta, stateful_extensions(main_loop.extensions))
    kind = type(main_loop.data_stream).__name__
    if meta["stream"]["kind"] != kind:
        problems.append(f"the checkpoint's data stream is a {meta['stream']['kind']}, this one a {kind}")
    count = len(random_streams(_graph_outputs(main_loop.algorithm)))
    if len(meta["random_streams"]) != count:
        problems.append(f"the checkpoint has {len(meta['random_streams'])} random streams, "
                        f"the training graph draws from {count}")
    missing = [key for key in _array_keys(meta) if key not in arrays]
    return problems + ([f"the file lacks the arrays {missing} (damaged)"] if missing else [])


def _extension_mismatches(meta: dict, extensions: dict[str, Any]) -> list[str]:
    problems = [f"the checkpoint has the state of extension {key}, which this main loop lacks"
                for key in meta["extensions"] if key not in extensions]
    return problems + [f"extension {key} has state, but the checkpoint has none for it"
                       for key in extensions if key not in meta["extensions"]]


def _state_mismatches(variables: list, names: list[str], arrays: dict[str, np.ndarray]) -> list[str]:
    if [v.name for v in variables] != names:
        return [f"the algorithm's state variables are {[v.name for v in variables]}, "
                f"the checkpoint's {names}"]
    return [f"state variable {v.name!r} ({i}) has shape {arrays[f'__state__/{i}'].shape} in the "
            f"checkpoint, expected {v.get_value(borrow=True).shape}"
            for i, v in enumerate(variables) if f"__state__/{i}" in arrays
            and arrays[f"__state__/{i}"].shape != v.get_value(borrow=True).shape]


def _array_keys(meta: dict) -> list[str]:
    keys = [f"__state__/{i}" for i in range(len(meta["states"]))] + log_array_keys(meta["log"])
    for state in [meta["stream"]["state"], *meta["extensions"].values(), *meta["random_streams"]]:
        keys += array_references(state)
    return keys


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
