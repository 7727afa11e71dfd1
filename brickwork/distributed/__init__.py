"""Training on several processes: synchronous data parallelism over MPI (``mpi4py``).

``world()`` tells a process its rank and the number of processes (1 outside
MPI). ``GradientDescent(..., distributed=True)`` with a stream made with
``distributed=True`` (and ``model.train(..., distributed=True)``) splits each
global batch across the processes and all-reduces the gradients of the
summed cost once per update, so the result equals one process training on
the same global batches. See ``docs/distributed.rst``.
"""

from .data_parallel import DataParallel, agreed_stop, is_distributed, speaks, writes_files
from .shards import Shard, shard_indices, shard_means, weighted_means
from .world import World, launched_size, world

__all__ = ["DataParallel", "Shard", "World", "agreed_stop", "is_distributed", "launched_size",
           "shard_indices", "shard_means", "speaks", "weighted_means", "world",
           "writes_files"]
