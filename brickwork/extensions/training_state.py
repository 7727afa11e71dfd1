"""The resumable state of a main loop, as named arrays plus JSON-able data.

Everything that changes while a main loop trains follows one protocol: it
has ``get_state()``, returning plain data (numbers, strings, lists, dicts)
and NumPy arrays, and ``set_state(state)``, which puts that back. Data
streams, random streams and extensions all do (an extension without state
returns ``None``). :func:`split_arrays` takes the arrays out of such a state,
so that a checkpoint stores them as arrays and the rest as JSON.

The log is stored by channel, not by row: each channel whose values are all
floats, all ints, all bools, or all arrays of one shape and dtype is two
arrays (the iterations where it was logged, and the values); any other
channel is a JSON list of ``[iteration, value]`` pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ARRAY_KEY = "__array__"


def split_arrays(state: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """``state`` with each array moved into ``arrays`` (under ``prefix/...``) and a reference left."""
    if isinstance(state, np.ndarray):
        arrays[prefix] = state
        return {ARRAY_KEY: prefix}
    if isinstance(state, np.generic):
        return state.item()
    if isinstance(state, dict):
        return {str(k): split_arrays(v, f"{prefix}/{k}", arrays) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return [split_arrays(v, f"{prefix}/{i}", arrays) for i, v in enumerate(state)]
    return state


def join_arrays(state: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Undo :func:`split_arrays`."""
    if isinstance(state, dict):
        if set(state) == {ARRAY_KEY}:
            return arrays[state[ARRAY_KEY]]
        return {k: join_arrays(v, arrays) for k, v in state.items()}
    if isinstance(state, list):
        return [join_arrays(v, arrays) for v in state]
    return state


def array_references(state: Any) -> list[str]:
    """The array keys a state from :func:`split_arrays` refers to."""
    found, stack = [], [state]
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and set(item) == {ARRAY_KEY}:
            found.append(item[ARRAY_KEY])
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def stateful_extensions(extensions: list) -> dict[str, Any]:
    """The extensions with state, by a key stable across runs: the name (by default the
    class name), with ``#n`` for repeats."""
    keyed: dict[str, Any] = {}
    for extension in extensions:
        if extension.get_state() is None:
            continue
        base = getattr(extension, "name", None) or type(extension).__name__
        key, count = base, 1
        while key in keyed:
            count += 1
            key = f"{base}#{count}"
        keyed[key] = extension
    return keyed


def _kind(value: Any) -> tuple | None:
    if isinstance(value, (bool, np.bool_)):
        return ("bool",)
    if isinstance(value, (int, np.integer)):
        return ("int",)
    if isinstance(value, (float, np.floating)):
        return ("float",)
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str)
    return None


_DTYPES = {"bool": np.bool_, "int": np.int64, "float": np.float64}
_PLAIN = {"bool": bool, "int": int, "float": float}


def log_to_arrays(log: dict, arrays: dict[str, np.ndarray]) -> dict:
    """The rows of ``log`` by channel: arrays go into ``arrays``; returns the JSON part."""
    channels: dict[str, list] = {}
    for iteration in sorted(log):
        for name, value in log[iteration].items():
            channels.setdefault(name, []).append((iteration, value))
    arrays["__log__/rows"] = np.array(sorted(log), dtype=np.int64)
    described = []
    for index, (name, entries) in enumerate(channels.items()):
        kinds = {_kind(value) for _, value in entries}
        kind = kinds.pop() if len(kinds) == 1 else None
        if kind is None:
            described.append({"name": name, "pairs": [[i, _plain_value(v)] for i, v in entries]})
            continue
        arrays[f"__log__/{index}/iterations"] = np.array([i for i, _ in entries], dtype=np.int64)
        values = [v for _, v in entries]
        stacked = np.stack(values) if kind[0] == "array" else np.array(values, dtype=_DTYPES[kind[0]])
        arrays[f"__log__/{index}/values"] = stacked
        described.append({"name": name, "kind": kind[0], "index": index})
    return {"channels": described}


def log_from_arrays(description: dict, arrays: dict[str, np.ndarray]) -> dict[int, dict]:
    """The rows that :func:`log_to_arrays` stored."""
    rows: dict[int, dict] = {int(i): {} for i in arrays["__log__/rows"]}
    for channel in description["channels"]:
        name = channel["name"]
        if "pairs" in channel:
            for iteration, value in channel["pairs"]:
                rows[int(iteration)][name] = value
            continue
        iterations = arrays[f"__log__/{channel['index']}/iterations"]
        values = arrays[f"__log__/{channel['index']}/values"]
        convert = _PLAIN.get(channel["kind"], np.array)
        for iteration, value in zip(iterations.tolist(), values):
            rows[iteration][name] = convert(value)
    return rows


def log_array_keys(description: dict) -> list[str]:
    """The array keys the log's description refers to."""
    keys = ["__log__/rows"]
    for channel in description.get("channels", []):
        if "index" in channel:
            keys += [f"__log__/{channel['index']}/iterations", f"__log__/{channel['index']}/values"]
    return keys


def _plain_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value.item() if isinstance(value, np.generic) else value
