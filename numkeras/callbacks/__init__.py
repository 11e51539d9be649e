"""`numkeras.callbacks`: hooks into training (History, ProgbarLogger, ...)."""
from numkeras.callbacks.callback import Callback
from numkeras.callbacks.callback_list import CallbackList
from numkeras.callbacks.history import History
from numkeras.callbacks.progbar_logger import ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
