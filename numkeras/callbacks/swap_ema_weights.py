"""SwapEMAWeights: evaluate and predict with the optimizer's moving averages of the weights."""

import numpy as np

from numkeras.callbacks.callback import Callback


class SwapEMAWeights(Callback):
    """Swap the model's weights with the optimizer's exponential moving averages (it needs
    `use_ema=True`) for evaluation and prediction, and back afterwards. With `swap_on_epoch`,
    epochs also end with the averages in the model (checkpoints save them), and the last
    epoch's averages stay in the model.

    Keras 3.15 never swaps back after `predict` (its `on_predict_end` tests the wrong flag);
    here prediction leaves the training weights in place, as evaluation does.

    Args:
        swap_on_epoch: also swap at the end of each epoch (and back at the next's start).
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizers(self):
        """The optimizers holding averages: the model's, or a MultiOptimizer's with use_ema."""
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        found = [optimizer]
        if hasattr(optimizer, "optimizers"):
            found = [o for o in optimizer.optimizers if getattr(o, "use_ema", False)]
            if not found:
                raise ValueError(
                    "SwapEMAWeights must be used when at least one inner optimizer has "
                    "`use_ema=True` set. Received a MultiOptimizer with all inner optimizers "
                    "having `use_ema=False`."
                )
        for inner in found:
            if not hasattr(inner, "_model_variables_moving_average"):
                raise ValueError(
                    "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                    f"Received: use_ema={getattr(inner, 'use_ema', None)}"
                )
        return found

    def _swap(self, into_model):
        if self._ema_weights_in_model == into_model:
            return
        for optimizer in self._optimizers():
            for var, average in zip(
                optimizer._trainable_variables, optimizer._model_variables_moving_average
            ):
                saved = np.array(var.data)
                var.assign(average.data)
                average.assign(saved)
        self._ema_weights_in_model = into_model

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap(into_model=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap(into_model=True)
            if epoch == self.params["epochs"] - 1:  # finalize: the averages stay
                for optimizer in self._optimizers():
                    for var, average in zip(
                        optimizer._trainable_variables, optimizer._model_variables_moving_average
                    ):
                        average.assign(var.data)

    def on_test_begin(self, logs=None):
        self._swap(into_model=True)

    def on_test_end(self, logs=None):
        self._swap(into_model=False)

    def on_predict_begin(self, logs=None):
        self._swap(into_model=True)

    def on_predict_end(self, logs=None):
        self._swap(into_model=False)
