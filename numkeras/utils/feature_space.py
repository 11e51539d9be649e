"""FeatureSpace: one-stop preprocessing of structured data (a dict of named columns) into
one feature vector (or a dict of encoded features), with Keras's preprocessors, encoding,
crosses, config and `.keras` layout."""

import numpy as np

from numkeras import layers, ops
from numkeras.backend.naming import auto_name
from numkeras.layers.keras_tensor import KerasTensor
from numkeras.layers.layer import Layer
from numkeras.saving.serialization import (
    deserialize_keras_object,
    register_base_classes,
    serialize_keras_object,
)

__all__ = ["Cross", "Feature", "FeatureSpace", "TFDIdentity"]


class Cross:
    """Features to cross with the hashing trick into `crossing_dim` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'int', "
                f"'one_hot'}}. Received: output_mode={output_mode}"
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim, self.output_mode = crossing_dim, output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {
            "feature_names": list(self.feature_names),
            "crossing_dim": self.crossing_dim,
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """A column's input dtype, its preprocessing layer and how its output is encoded."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'int', "
                f"'one_hot', 'float'}}. Received: output_mode={output_mode}"
            )
        if isinstance(preprocessor, dict):
            preprocessor = deserialize_keras_object(preprocessor)
        self.dtype, self.preprocessor, self.output_mode = dtype, preprocessor, output_mode

    def get_config(self):
        return {
            "dtype": self.dtype,
            "preprocessor": serialize_keras_object(self.preprocessor),
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class TFDIdentity(Layer):
    """The preprocessor of a plain "float" feature: passes values through."""

    def call(self, x):
        return x

    def compute_output_shape(self, input_shape):
        return input_shape


class _Concat(Layer):
    """Concatenation along the last axis that also takes a single input."""

    def call(self, xs):
        return ops.concatenate(list(xs), axis=-1)


def _as_array(x):
    """NumPy values of an array, list, numkeras tensor or TensorFlow tensor (strings too)."""
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


class FeatureSpace(Layer):
    """Preprocesses a dict of features, each declared by name as "float", "float_rescaled",
    "float_normalized", "float_discretized", "integer_categorical", "string_categorical",
    "integer_hashed" or "string_hashed" (or a `FeatureSpace.<kind>(...)` spec), plus hashed
    `crosses`, into one concatenated float32 vector (`output_mode="concat"`) or a dict.

    Call `adapt` on the data (a dict of arrays, or an iterable of dicts of batches) first,
    then call the FeatureSpace on a dict of arrays; `get_inputs`/`get_encoded_features` give
    the symbolic graph to build a model on. As Keras, features are concatenated in sorted
    name order, then the crosses in sorted name order.
    """

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or auto_name("float")
        return Feature(
            "float32", TFDIdentity(dtype="float32", name=f"{name}_preprocessor"), "float"
        )

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or auto_name("float_rescaled")
        rescaling = layers.Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", rescaling, "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or auto_name("float_normalized")
        return Feature(
            "float32", layers.Normalization(axis=-1, name=f"{name}_preprocessor"), "float"
        )

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or auto_name("float_discretized")
        preprocessor = layers.Discretization(
            num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor"
        )
        return Feature("float32", preprocessor, output_mode)

    @classmethod
    def integer_categorical(
        cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None
    ):
        name = name or auto_name("integer_categorical")
        preprocessor = layers.IntegerLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("int32", preprocessor, output_mode)

    @classmethod
    def string_categorical(
        cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None
    ):
        name = name or auto_name("string_categorical")
        preprocessor = layers.StringLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature("string", preprocessor, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or auto_name("string_hashed")
        return Feature(
            "string", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode
        )

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or auto_name("integer_hashed")
        return Feature(
            "int32", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode
        )

    def __init__(
        self,
        features,
        output_mode="concat",
        crosses=None,
        crossing_dim=32,
        hashing_dim=32,
        num_discretization_bins=32,
        name=None,
    ):
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        self.crossing_dim, self.hashing_dim = crossing_dim, hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {name: self._standardize_feature(name, f) for name, f in features.items()}
        self.crosses = []
        for cross in crosses or []:
            if isinstance(cross, dict):
                cross = deserialize_keras_object(cross)
            if not isinstance(cross, Cross):
                if not crossing_dim:
                    raise ValueError(
                        "When specifying `crosses`, the argument `crossing_dim` "
                        "(dimensionality of the crossing space) should be specified as well."
                    )
                if any(key not in features for key in cross):
                    raise ValueError(
                        "All features referenced in the `crosses` argument should be present "
                        f"in the `features` dict. Received unknown features: {cross}"
                    )
                cross = Cross(cross, crossing_dim=crossing_dim)
            self.crosses.append(cross)
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        if output_mode not in {"dict", "concat"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'dict', "
                f"'concat'}}. Received: output_mode={output_mode}"
            )
        self.output_mode = output_mode
        self.inputs = {
            name: layers.Input(shape=(1,), dtype=f.dtype, name=name)
            for name, f in self.features.items()
        }
        self.preprocessors = {name: f.preprocessor for name, f in self.features.items()}
        self.encoded_features = None
        self.crossers = {
            cross.name: layers.HashedCrossing(cross.crossing_dim, name=cross.name)
            for cross in self.crosses
        }
        self.one_hot_encoders = {}
        self.concat = None
        self._is_adapted = False
        self._sublayers_built = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return deserialize_keras_object(feature)
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                name=name, num_bins=self.num_discretization_bins
            ),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if feature not in makers:
            raise ValueError(f"Invalid feature type: {feature}")
        return makers[feature]()

    # --- adapt ----------------------------------------------------------------------------
    def _list_adaptable_preprocessors(self):
        names = []
        for name in self.features:
            preprocessor = self.preprocessors[name]
            if isinstance(preprocessor, layers.Normalization) and (
                preprocessor.input_mean is not None
            ):
                continue  # given mean and variance
            if isinstance(preprocessor, layers.TextVectorization) and getattr(
                preprocessor, "_has_input_vocabulary", False
            ):
                continue
            if isinstance(preprocessor, layers.Discretization) and preprocessor.num_bins is None:
                continue  # given bin boundaries
            if hasattr(preprocessor, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset):
        """Adapt every adaptable preprocessor to its column of `dataset`: a dict of arrays
        (rows), or an iterable of dicts of batches (e.g. a `tf.data.Dataset` of dicts).
        As Keras, rows are fed in batches of 32 and a 1-D batch gets a trailing axis."""
        if isinstance(dataset, dict):
            rows = {k: _as_array(v) for k, v in dataset.items()}
            elements = lambda name: iter(rows[name])  # noqa: E731
        elif hasattr(dataset, "__iter__"):
            elements = lambda name: (_as_array(b[name]) for b in dataset)  # noqa: E731
        else:
            raise ValueError(
                "`adapt()` can only be called on a tf.data.Dataset or a dict of arrays/lists. "
                f"Received instead: {dataset} (of type {type(dataset)})"
            )
        for name in self._list_adaptable_preprocessors():
            first = np.asarray(next(elements(name)))
            batches = elements(name)
            if first.ndim == 0:
                values = np.asarray(list(batches))
                batches = (values[i : i + 32] for i in range(0, len(values), 32))
            if first.ndim in (0, 1):
                batches = (np.asarray(b)[..., None] for b in batches)
            self.preprocessors[name].adapt(batches)
        self._is_adapted = True
        self.get_encoded_features()  # finish building
        self.built = self._sublayers_built = True

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._list_adaptable_preprocessors():
                raise ValueError(
                    "You need to call `.adapt(dataset)` on the FeatureSpace before you can "
                    "start using it."
                )
            self._is_adapted = True

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # --- the graph ------------------------------------------------------------------------
    def get_inputs(self):
        """The dict of `Input`s (one `(None, 1)` input per feature)."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The symbolic output for `get_inputs()`, to build a model on."""
        self._check_if_adapted()
        if self.encoded_features is None:
            preprocessed = self._preprocess_features(self.inputs)
            crossed = self._cross_features(preprocessed)
            self.encoded_features = self._merge_features(preprocessed, crossed)
        return self.encoded_features

    def _preprocess_features(self, features):
        return {name: self.preprocessors[name](features[name]) for name in features}

    def _cross_features(self, features):
        return {
            cross.name: self.crossers[cross.name]([features[n] for n in cross.feature_names])
            for cross in self.crosses
        }

    def _cardinality(self, name):
        preprocessor = self.preprocessors.get(name) or self.crossers.get(name)
        if isinstance(preprocessor, (layers.IntegerLookup, layers.StringLookup)):
            return preprocessor.vocabulary_size()
        if isinstance(preprocessor, layers.CategoryEncoding):
            return preprocessor.num_tokens
        if isinstance(preprocessor, layers.Discretization):
            return preprocessor.num_bins or len(preprocessor.bin_boundaries) + 1
        if isinstance(preprocessor, (layers.HashedCrossing, layers.Hashing)):
            return preprocessor.num_bins
        raise ValueError(
            f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard "
            "feature and the dimensionality of its output space is not known, thus it cannot "
            "be one-hot encoded. Try using `output_mode='int'`."
        )

    def _merge_features(self, preprocessed, crossed):
        names = sorted(preprocessed) + sorted(crossed)
        values = {**preprocessed, **crossed}
        specs = {**self.features, **self.crosses_by_name}
        outputs = {}
        for name in names:
            feature = values[name]
            if specs[name].output_mode == "one_hot":
                dtype = str(feature.dtype)
                if not isinstance(feature, KerasTensor) and not dtype.startswith("int"):
                    raise ValueError(
                        f"Feature '{name}' has `output_mode='one_hot'`. Thus its preprocessor "
                        f"should return an integer dtype. Instead it returns a {dtype} dtype."
                    )
                if name not in self.one_hot_encoders:
                    self.one_hot_encoders[name] = layers.CategoryEncoding(
                        num_tokens=self._cardinality(name), output_mode="multi_hot"
                    )
                feature = self.one_hot_encoders[name](feature)
            elif self.output_mode == "concat":
                dtype = str(feature.dtype)
                if dtype.startswith("int") or dtype == "string":
                    raise ValueError(
                        f"Cannot concatenate features because feature '{name}' has not been "
                        f"encoded (it has dtype {dtype}). Consider using `output_mode='dict'`."
                    )
            outputs[name] = feature
        if self.output_mode == "dict":
            return outputs
        if self.concat is None:
            self.concat = _Concat(name="concat")
        return self.concat([outputs[name] for name in names])

    # --- calling --------------------------------------------------------------------------
    def __call__(self, data):
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(
                "A FeatureSpace can only be called with a dict. "
                f"Received: data={data} (of type {type(data)}"
            )
        arrays, rebatched = {}, False
        for name, value in data.items():
            x = _as_array(value)
            if x.ndim == 0:
                x, rebatched = x.reshape(1, 1), True
            elif x.ndim == 1:
                x = x[:, None]
            arrays[name] = x
        preprocessed = self._preprocess_features(arrays)
        merged = self._merge_features(preprocessed, self._cross_features(preprocessed))
        if rebatched:
            if self.output_mode == "concat":
                merged = ops.squeeze(merged, axis=0)
            else:
                merged = {
                    k: ops.squeeze(v, axis=0) if len(v.shape) == 2 and v.shape[0] == 1 else v
                    for k, v in merged.items()
                }
        return merged

    # --- saving ---------------------------------------------------------------------------
    def get_config(self):
        return {
            "features": serialize_keras_object(self.features),
            "output_mode": self.output_mode,
            "crosses": serialize_keras_object(self.crosses),
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {name: f.preprocessor.get_build_config() or {} for name, f in self.features.items()}

    def build_from_config(self, config):
        for name, build in config.items():
            preprocessor = self.features[name].preprocessor
            if not preprocessor.built:
                preprocessor.build_from_config(build)
        self._is_adapted = True

    def save(self, filepath):
        """Save to a `.keras` file (config, preprocessor states and vocabularies)."""
        from numkeras.saving.keras_file import save_model

        save_model(self, filepath)


register_base_classes(FeatureSpace=FeatureSpace)
