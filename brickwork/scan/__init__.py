"""The scan: a step graph run over time, and everything that makes it run and learn.

Read top to bottom, the package is backpropagation through time:

* :mod:`~brickwork.scan.trace`: :func:`scan` traces a step function into a
  node of the :class:`Scan` op (:mod:`~brickwork.scan.op`), whose inputs and
  outputs :mod:`~brickwork.scan.signature` names;
* :mod:`~brickwork.scan.grad`: its gradient, another scan over reversed time;
* :mod:`~brickwork.scan.hoist`: the step specialized to one call's shapes,
  and the work that reads no state hoisted out of the loop;
* :mod:`~brickwork.scan.products`: products merged, one BLAS call for two;
* :mod:`~brickwork.scan.runner`: how a Scan node runs (a program per shapes,
  pooled output buffers), and :mod:`~brickwork.scan.loopgen`, its loop as
  generated Python;
* :mod:`~brickwork.scan.program` and :mod:`~brickwork.scan.tiers`: the
  NumPy tier at once, the fused tier (:mod:`~brickwork.scan.fusion`, kernels
  written by :mod:`~brickwork.scan.kernelgen`, compiled by numba, with
  :mod:`~brickwork.scan.fastmath`) when it is ready;
* :mod:`~brickwork.scan.unroll`: the scan written out step by step, the
  reference the tests hold it to.

The package builds on the symbolic language (:mod:`brickwork.tensor`) and on
the compiler (:mod:`brickwork.graph`); neither imports it.
"""

from .op import Scan
from .trace import scan

__all__ = ["Scan", "scan"]
