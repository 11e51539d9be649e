"""Model's saving methods (`save`, weights, JSON, configs); the work is in numkeras.saving."""

import warnings

from numkeras.models import model_config
from numkeras.saving.compile_config import compile_config, compile_from_config


class SavingMethods:
    """Mixed into Model: each method hands over to numkeras.saving, imported when used (so
    `import numkeras` does not import h5py)."""

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the architecture, weights, compile config and optimizer state: a Keras 3
        `.keras` file (or a legacy `.h5` file), written atomically."""
        from numkeras.saving import keras_file

        keras_file.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights (and optimizer state) to a Keras 3 `.weights.h5` file."""
        from numkeras.saving import keras_file

        keras_file.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from `.weights.h5`, `.keras` or legacy `.h5` (`by_name=True` there)."""
        from numkeras.saving import keras_file

        keras_file.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs):
        """The model's config as JSON text (`numkeras.models.model_from_json` reads it)."""
        import json

        from numkeras.saving.serialization import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A functional config (layers, input_layers, output_layers) rebuilds the graph; any
        other config goes to the constructor, as for layers."""
        from numkeras.saving.serialization import custom_object_scope

        with custom_object_scope(custom_objects):
            if {"layers", "input_layers", "output_layers"} <= set(config):
                return model_config.functional_from_config(cls, config)
            return super().from_config(config)

    def get_compile_config(self):
        return compile_config(self)

    def compile_from_config(self, config):
        """`compile` with a saved `compile_config`. As in Keras, a model whose class defines
        its own `compile` is left uncompiled (with a warning): its arguments may differ."""
        from numkeras.models.model import Model

        if type(self).compile is not Model.compile:
            warnings.warn(
                "`compile()` was not called as part of model loading because the model's "
                "`compile()` method is custom. All subclassed Models that have `compile()` "
                "overridden should also override `get_compile_config()` and "
                "`compile_from_config(config)`. Alternatively, you can call `compile()` "
                "manually after loading.",
                stacklevel=2,
            )
            return
        compile_from_config(self, config)
