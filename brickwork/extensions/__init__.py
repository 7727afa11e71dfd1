"""Extensions of the main loop: stopping, printing, monitoring, checkpoints, plots."""

from .base import CompositeExtension, Extension, SimpleExtension, TrainingExtension
from .best import FinishIfNoImprovementAfter, TrackTheBest
from .checkpoint import Checkpoint, Load, load_checkpoint, save_checkpoint
from .modifiers import SharedVariableModifier, Timestamp
from .plot import Plot
from .stopping import EarlyStopping, OnLogRecord
from .training import (DataStreamMonitoring, FinishAfter, Printing, ProgressBar, Timing,
                       TrainingDataMonitoring)

__all__ = ["Checkpoint", "CompositeExtension", "DataStreamMonitoring", "EarlyStopping", "Extension",
           "FinishAfter", "FinishIfNoImprovementAfter", "Load", "OnLogRecord", "Plot", "Printing",
           "ProgressBar", "SharedVariableModifier", "SimpleExtension", "Timestamp", "Timing",
           "TrackTheBest", "TrainingDataMonitoring", "TrainingExtension", "load_checkpoint",
           "save_checkpoint"]
