"""`numkeras.callbacks`: hooks into training (History, EarlyStopping, ModelCheckpoint, ...)."""

from numkeras.callbacks.backup_and_restore import BackupAndRestore
from numkeras.callbacks.callback import Callback
from numkeras.callbacks.callback_list import CallbackList
from numkeras.callbacks.csv_logger import CSVLogger
from numkeras.callbacks.early_stopping import EarlyStopping
from numkeras.callbacks.history import History
from numkeras.callbacks.lambda_callback import LambdaCallback
from numkeras.callbacks.learning_rate_scheduler import LearningRateScheduler
from numkeras.callbacks.model_checkpoint import ModelCheckpoint
from numkeras.callbacks.progbar_logger import ProgbarLogger
from numkeras.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from numkeras.callbacks.remote_monitor import RemoteMonitor
from numkeras.callbacks.swap_ema_weights import SwapEMAWeights
from numkeras.callbacks.tensorboard import TensorBoard
from numkeras.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
]
