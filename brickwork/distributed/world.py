"""The processes of a run: :func:`world` gives this process's rank and their number.

Under ``mpiexec -n N`` (or ``srun``), the world is MPI's ``COMM_WORLD``
through ``mpi4py``. Started any other way, it is a single-process stand-in
of rank 0 and size 1 whose collectives return their input, so the same
script runs on a laptop and on a cluster.

A process that dies with an uncaught exception while the others wait in a
collective would leave them waiting for ever; so, when there are several
processes, an uncaught exception prints its traceback with the rank and
aborts every process of the run (``MPI_Abort``), once the launcher has read
what the process wrote (at most 5 s later), so that the traceback reaches
the user.
"""

from __future__ import annotations

import os
import stat
import struct
import sys
import time
import traceback
from typing import Any

import numpy as np

from ..errors import TrainingError

# Variables the MPI launchers set in each process they start (MPICH's hydra, Open MPI, PMIx, Slurm's PMI).
_LAUNCHER_SIZES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE")
_LAUNCHER_RANKS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")
# At most this many seconds for the launcher to read a failing process's last output before it aborts
# the run: long enough for a launcher descheduled on a busy machine, short enough not to look like a hang.
_OUTPUT_GRACE = 5.0


class World:
    """The processes training together.

    Attributes
    ----------
    rank : int
        This process's number, from 0.
    size : int
        How many processes there are.
    comm : mpi4py.MPI.Comm or None
        The MPI communicator (None for the single-process stand-in).
    timeout : float or None
        Seconds to wait in the all-reduce and in the broadcast of the stop
        decision before giving up on the other processes (a
        :class:`~brickwork.errors.TrainingError`, which then aborts every
        process); from the environment variable ``BRICKWORK_MPI_TIMEOUT``;
        None (the default) waits for ever. A process that fails is caught
        without it; this catches one that hangs.
    """

    def __init__(self, comm: Any = None, timeout: float | None = None):
        self.comm, self.timeout = comm, timeout
        self.rank = comm.Get_rank() if comm is not None else 0
        self.size = comm.Get_size() if comm is not None else 1

    def __repr__(self) -> str:
        return f"World(rank={self.rank}, size={self.size})"

    def sum(self, buffer: np.ndarray) -> np.ndarray:
        """The element-wise sum over every process of ``buffer`` (float64, 1-d), in one all-reduce."""
        if self.comm is None:
            return buffer
        from mpi4py import MPI
        total = np.empty_like(buffer)
        self._wait(self.comm.Iallreduce(buffer, total, op=MPI.SUM), "the all-reduce of the gradients")
        return total

    def broadcast_array(self, array: np.ndarray) -> np.ndarray:
        """Rank 0's ``array`` on every process (same shape and dtype everywhere)."""
        if self.comm is None:
            return array
        array = np.array(array, order="C")  # a C-contiguous copy (ascontiguousarray makes 0-d arrays 1-d)
        self._wait(self.comm.Ibcast(array, root=0), "a broadcast from rank 0")
        return array

    def _wait(self, request: Any, what: str) -> None:
        if self.timeout is None:
            request.Wait()
            return
        deadline = time.monotonic() + self.timeout
        while not request.Test():
            if time.monotonic() > deadline:
                raise TrainingError(f"rank {self.rank} of {self.size}: waited {self.timeout:g} s in {what}; "
                                    "another process is stuck or gone (BRICKWORK_MPI_TIMEOUT)")
            time.sleep(1e-4)

    def gather(self, value: Any) -> list | None:
        """Every process's ``value`` as a list on rank 0 (None elsewhere)."""
        return [value] if self.comm is None else self.comm.gather(value, root=0)


_WORLD: World | None = None


def world() -> World:
    """This process's place in the run: ``.rank`` and ``.size`` (1 outside MPI).

    Returns
    -------
    World
        The same object on every call.
    """
    global _WORLD
    if _WORLD is None:
        timeout = os.environ.get("BRICKWORK_MPI_TIMEOUT")
        _WORLD = World(_communicator(), float(timeout) if timeout else None)
        if _WORLD.size > 1:
            _abort_all_on_uncaught_exception(_WORLD)
    return _WORLD


def launched_size() -> int:
    """The number of processes an MPI launcher started (1 when none did)."""
    for name in _LAUNCHER_SIZES:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 1


def _communicator() -> Any:
    if launched_size() == 1 and not any(name in os.environ for name in _LAUNCHER_RANKS):
        return None
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise TrainingError(f"this process was started by an MPI launcher with {launched_size()} "
                            "processes, but mpi4py is not installed: pip install 'brickwork[distributed]'"
                            ) from error
    return MPI.COMM_WORLD


def _abort_all_on_uncaught_exception(this: World) -> None:
    previous = sys.excepthook

    def abort(kind: type, error: BaseException, trace: Any) -> None:
        message = "".join(traceback.format_exception(kind, error, trace))
        sys.stderr.write(f"brickwork: rank {this.rank} of {this.size} failed; stopping every rank.\n"
                         f"{message}")
        if previous is not sys.__excepthook__:
            previous(kind, error, trace)
        _let_the_launcher_read_our_output(_OUTPUT_GRACE)
        this.comm.Abort(1)
    sys.excepthook = abort


def _let_the_launcher_read_our_output(grace: float) -> None:
    """Flush stdout and stderr, then wait (at most ``grace`` seconds) until no byte of them is unread.

    MPICH's hydra proxy reads a process's output pipes and its PMI socket,
    which carries ``MPI_Abort``, as separate file descriptors; when both are
    ready at once (the proxy was descheduled on a busy machine) it forwards
    the abort first, and mpiexec exits on the abort without reading the
    output that follows: the traceback is lost and the run fails with an
    empty stderr. Output the proxy has read is forwarded before it reads
    anything else, so once our pipes hold no unread byte the abort can only
    come after it. A file or a terminal is written synchronously: nothing to
    wait for.
    """
    for stream in filter(None, (sys.stdout, sys.stderr)):  # None when Python runs without them
        try:
            stream.flush()
        except (OSError, ValueError):  # closed by the program: nothing of ours is pending there
            pass
    deadline = time.monotonic() + grace
    while any(_unread_bytes(fd) for fd in (1, 2)) and time.monotonic() < deadline:
        time.sleep(0.01)


def _unread_bytes(fd: int) -> int:
    """How many bytes written to pipe ``fd`` its reader has not read yet (0 if ``fd`` is no pipe)."""
    try:
        import fcntl
        import termios
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return 0
        # FIONREAD on the writing end of a pipe counts the unread bytes (Linux; where it reads 0 we do not wait).
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, bytes(4)))[0]
    except (ImportError, OSError):  # no fcntl (Windows) or fd closed: no way to tell, so no wait
        return 0
