"""Extensions of the main loop: stopping, printing, monitoring, checkpoints, plots."""

from .base import Extension
from .best import FinishIfNoImprovementAfter, TrackTheBest
from .checkpoint import Checkpoint, Load, load_checkpoint, save_checkpoint
from .plot import Plot
from .training import (DataStreamMonitoring, FinishAfter, Printing, ProgressBar, Timing,
                       TrainingDataMonitoring)

__all__ = ["Checkpoint", "DataStreamMonitoring", "Extension", "FinishAfter",
           "FinishIfNoImprovementAfter", "Load", "Plot", "Printing", "ProgressBar", "Timing",
           "TrackTheBest", "TrainingDataMonitoring", "load_checkpoint", "save_checkpoint"]
