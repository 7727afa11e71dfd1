"""Data streams: re-iterable sources of batches, and variable-length sequences.

A data stream is anything iterable again and again, each pass (an epoch)
yielding batches: dicts from input name to array. :class:`ArrayStream` cuts
arrays into shuffled batches; :class:`CallableStream` calls a function for
each batch (the theanets style); :class:`IterableStream` wraps any other
re-iterable (a list of batches). All of them save and restore their position
(``get_state``/``set_state``: plain data), so a run resumed from a checkpoint
sees exactly the batches it would have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .distributed.shards import Shard, shard_indices
from .errors import TrainingError


class ArrayStream:
    """Batches of ``batch_size`` examples from named arrays, reshuffled every epoch.

    Parameters
    ----------
    arrays : dict from name to array
        All with the same number of examples along their batch axis.
    batch_size : int
    shuffle : bool
    seed : int
        Seeds the shuffling; the same seed gives the same batches.
    batch_axis : int or dict
        The example axis: 0 for ``(batch, ...)``, 1 for time-major
        ``(time, batch, ...)`` sequences; a dict gives one per name.
    distributed : bool
        ``batch_size`` is the global batch: every process of an ``mpiexec``
        run draws the same global batches and yields only its own part, a
        :class:`brickwork.distributed.Shard` (the state stays the same on
        every process, so one checkpoint resumes them all).
    """

    def __init__(self, arrays: Mapping[str, Any], batch_size: int, shuffle: bool = True,
                 seed: int = 0, batch_axis: int | Mapping[str, int] = 0, distributed: bool = False):
        self.arrays = {k: np.asarray(v) for k, v in arrays.items()}
        self.axes = {k: batch_axis.get(k, 0) if isinstance(batch_axis, Mapping) else batch_axis
                     for k in self.arrays}
        sizes = {k: v.shape[self.axes[k]] for k, v in self.arrays.items()}
        if len(set(sizes.values())) != 1:
            raise TrainingError(f"ArrayStream: arrays of different sizes along the batch axis: {sizes}")
        self.n_examples = next(iter(sizes.values()))
        self.batch_size, self.shuffle, self.distributed = batch_size, shuffle, distributed
        self.rng = np.random.default_rng(seed)
        self._epoch_state = self.rng.bit_generator.state
        self._position = 0

    def __len__(self) -> int:
        return -(-self.n_examples // self.batch_size)

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        if self._position == 0:
            self._epoch_state = self.rng.bit_generator.state
        else:
            self.rng.bit_generator.state = self._epoch_state
        order = self.rng.permutation(self.n_examples) if self.shuffle else np.arange(self.n_examples)
        while self._position < len(self):
            chosen = order[self._position * self.batch_size:(self._position + 1) * self.batch_size]
            self._position += 1
            yield self._batch(shard_indices(chosen) if self.distributed else chosen)
        self._position = 0

    def _batch(self, chosen: np.ndarray) -> dict[str, np.ndarray]:
        arrays = {k: np.take(v, chosen, axis=self.axes[k]) for k, v in self.arrays.items()}
        return Shard(arrays, len(chosen)) if self.distributed else arrays

    def get_state(self) -> dict:
        """The shuffling state at the start of this epoch and the batches already served."""
        current = self._epoch_state if self._position else self.rng.bit_generator.state
        return {"epoch_rng": current, "position": self._position}

    def set_state(self, state: dict) -> None:
        """Continue from a state of :meth:`get_state` (same arrays, same batch size)."""
        self._epoch_state = state["epoch_rng"]
        self.rng.bit_generator.state = state["epoch_rng"]
        self._position = state["position"]


class CallableStream:
    """Batches from calling ``function()``; an epoch is ``batches_per_epoch`` calls.

    ``function`` returns a dict by input name, or a list of arrays matched to
    ``names`` (or, without names, to the algorithm's inputs in order), as in
    theanets, where ``generate()`` returns ``[inputs, targets]``.

    Parameters
    ----------
    function : callable
    batches_per_epoch : int
    names : list of str, optional
    rng : numpy.random.Generator or numpy.random.RandomState, optional
        The generator ``function`` draws from. Its state is part of the
        stream's state (see :meth:`get_state`); without it, the state of
        NumPy's global generator (``numpy.random.seed``) is saved instead.
    """

    def __init__(self, function: Callable[[], Any], batches_per_epoch: int = 100,
                 names: Sequence[str] | None = None, rng: Any = None):
        self.function, self.batches_per_epoch = function, batches_per_epoch
        self.names = list(names) if names is not None else None
        self.rng = rng
        self._position = 0

    def __len__(self) -> int:
        return self.batches_per_epoch

    def __iter__(self) -> Iterator[Any]:
        while self._position < self.batches_per_epoch:
            batch = self.function()
            self._position += 1
            yield dict(zip(self.names, batch)) if self.names and not isinstance(batch, Mapping) else batch
        self._position = 0

    def get_state(self) -> dict:
        """The calls already made this epoch and the generator's state."""
        return {"position": self._position, "rng": _generator_state(self.rng)}

    def set_state(self, state: dict) -> None:
        """Continue from a state that :meth:`get_state` returned."""
        self._position = state["position"]
        _set_generator_state(self.rng, state["rng"])


def _generator_state(rng: Any) -> Any:
    if rng is None:
        kind, keys, position, has_gauss, cached = np.random.get_state()
        return {"legacy": [kind, keys, position, has_gauss, cached]}
    if isinstance(rng, np.random.RandomState):
        return {"legacy": list(rng.get_state())}
    return rng.bit_generator.state


def _set_generator_state(rng: Any, state: Any) -> None:
    if rng is None:
        np.random.set_state(tuple(state["legacy"]))
    elif isinstance(rng, np.random.RandomState):
        rng.set_state(tuple(state["legacy"]))
    else:
        rng.bit_generator.state = state


class IterableStream:
    """A re-iterable of batches (a list, say) that remembers how far an epoch went.

    An epoch cut short (by the end of training, or Ctrl-C) continues at the
    next batch when iterated again or restored with :meth:`set_state`; the
    batches already served are skipped, not served again.
    """

    def __init__(self, batches: Any):
        self.batches = batches
        self._position = 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[Any]:
        for index, batch in enumerate(self.batches):
            if index < self._position:
                continue
            self._position = index + 1
            yield batch
        self._position = 0

    def get_state(self) -> dict:
        """The batches already served this epoch."""
        return {"position": self._position}

    def set_state(self, state: dict) -> None:
        """Continue from a state that :meth:`get_state` returned."""
        self._position = state["position"]


def as_stream(data: Any, **kwargs: Any) -> Any:
    """``data`` as a stream with a position: callables and plain re-iterables are wrapped.

    Streams that save their own position (``get_state``/``set_state``) are
    returned as they are.
    """
    if hasattr(data, "get_state") and hasattr(data, "set_state"):
        return data
    if callable(data) and not hasattr(data, "__iter__"):
        return CallableStream(data, **kwargs)
    return IterableStream(data)


def pad_sequences(sequences: Sequence[Any], dtype: Any = None, value: float = 0.0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Pad variable-length sequences into a TIME-MAJOR batch (time first, then batch).

    Keras' ``pad_sequences`` returns batch-major ``(batch, max_length)``
    arrays instead; take ``padded.swapaxes(0, 1)`` for that layout, or pass
    these arrays to a model as they are (the quick-start models take
    time-major data by default, batch-major with ``time_major=False``).

    Parameters
    ----------
    sequences : list of arrays ``(length_i, ...)``

    Returns
    -------
    padded : ``(max_length, batch, ...)``
        Sequence ``i`` is ``padded[:length_i, i]``; ``value`` after its end.
    mask : ``(max_length, batch)``
        1 where a sequence has data, 0 after its end.

    >>> padded, mask = pad_sequences([[1, 2, 3], [4]])
    >>> padded.shape, mask.shape
    ((3, 2), (3, 2))
    >>> padded[:, 1], mask[:, 1]
    (array([4, 0, 0]), array([1., 0., 0.], dtype=float32))
    """
    sequences = [np.asarray(s) for s in sequences]
    longest = max((len(s) for s in sequences), default=0)
    dtype = dtype or (sequences[0].dtype if sequences else "float32")
    padded = np.full((longest, len(sequences)) + sequences[0].shape[1:], value, dtype=dtype)
    mask = np.zeros((longest, len(sequences)), dtype="float32")
    for i, s in enumerate(sequences):
        padded[:len(s), i] = s
        mask[:len(s), i] = 1
    return padded, mask


def bucket_by_length(lengths: Sequence[int], batch_size: int, seed: int = 0) -> list[np.ndarray]:
    """Indices grouped into batches of similar length (less padding), batches shuffled."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    np.random.default_rng(seed).shuffle(batches)
    return batches
