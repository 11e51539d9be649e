"""TensorBoard: Keras 3's callback, writing the event files itself (no TensorFlow needed)."""

import os
import time
import warnings

import numpy as np

from numkeras.callbacks import event_file
from numkeras.callbacks.callback import Callback, check_argument
from numkeras.callbacks.learning_rate_scheduler import learning_rate_logs

_SCALAR, _TENSOR, _BLOB_SEQUENCE = 1, 2, 3  # tensorboard's SummaryMetadata.DataClass
_HISTOGRAM_BUCKETS = 30  # tf.summary.histogram's default


def histogram_buckets(values, bucket_count=_HISTOGRAM_BUCKETS):
    """`[left, right, count]` rows over the range of `values`, as `tf.summary.histogram`
    computes them: equal widths, the maximum counted in the last bucket; all the edges equal
    the value when there is only one.

    >>> histogram_buckets(np.array([0.0, 1.0, 1.0, 3.0]), 3).tolist()
    [[0.0, 1.0, 1.0], [1.0, 2.0, 2.0], [2.0, 3.0, 1.0]]
    """
    x = np.asarray(values, np.float64).ravel()
    if x.size == 0:
        return np.zeros((bucket_count, 3))
    low, high = x.min(), x.max()
    counts = np.zeros(bucket_count)
    if low == high:
        counts[-1] = x.size
        return np.stack([np.full(bucket_count, high), np.full(bucket_count, high), counts], 1)
    index = np.floor((x - low) / ((high - low) / bucket_count)).astype(np.int64)
    counts += np.bincount(np.minimum(index, bucket_count - 1), minlength=bucket_count)
    edges = np.linspace(low, high, bucket_count + 1)
    edges[-1] = high
    return np.stack([edges[:-1], edges[1:], counts], 1)


class TensorBoard(Callback):
    """Callback that writes logs for TensorBoard (`tensorboard --logdir=<log_dir>`).

    Writes what Keras 3's callback writes, under the same tags and steps, into
    `log_dir/train` and `log_dir/validation`:

    * at each epoch end, the training logs as `epoch_<name>` (plus `epoch_learning_rate`,
      and `epoch_steps_per_second` with `write_steps_per_second`) in `train`, and the `val_`
      logs without their prefix in `validation`, at step `epoch`;
    * with an integer `update_freq` (`"batch"` is 1), the running batch logs as
      `batch_<name>` every `update_freq` batches, at the step counting batches since
      `fit` began (1 for the first);
    * after each evaluation (`evaluate`, or the validation in `fit`),
      `evaluation_<name>_vs_iterations` in `validation` at `optimizer.iterations`;
    * every `histogram_freq` epochs, a histogram of each weight, tagged
      `<weight.path>/histogram` (`sequential/dense/kernel/histogram` in a Sequential model);
    * with `write_graph`, the model's JSON as the `keras` summary (TensorBoard's conceptual
      graph), each time the callback is given a model;
    * every `embeddings_freq` epochs, the weights to `train/keras_embedding.ckpt-<epoch>
      .weights.h5`, and `projector_config.pbtxt` naming the Embedding layers.

    Scalars are stored as `simple_value`s (TensorFlow 2 stores float tensors; TensorBoard
    reads both alike). Events are appended to the files at each epoch end (a crash loses at
    most that epoch's batch logs), after each evaluation and when `fit` ends; no file stays
    open in between. With an integer `update_freq`, Keras (through TensorFlow's `record_if`)
    also drops the epoch, histogram and evaluation summaries whenever its running batch count
    is not a multiple of `update_freq` (tensorflow/tensorboard#4975); numkeras always writes
    them. `write_images` writes nothing (no weight images), and profiling is not
    available: `profile_batch` must be 0, as on Keras's torch and numpy backends.

    Args:
        log_dir: the directory for the event files (its `train` and `validation` subfolders).
        histogram_freq: epochs between weight histograms (written at epochs 0, freq, ...);
            0 writes none.
        write_graph: write the model's config for TensorBoard's graph dashboard.
        write_images: accepted for Keras compatibility; no images are written.
        write_steps_per_second: also log the training steps per second.
        update_freq: `"epoch"`, `"batch"`, or an integer N to also log every N batches.
        profile_batch: must be 0 (no profiler).
        embeddings_freq: epochs between checkpoints for the embedding projector; 0 for none.
        embeddings_metadata: a metadata file name for every Embedding layer, or a dict from
            Embedding layer names to file names.

    >>> import os, tempfile, numkeras
    >>> model = numkeras.Sequential([numkeras.Input((2,)), numkeras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> log_dir = tempfile.mkdtemp()
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[TensorBoard(log_dir)])
    >>> sorted(os.listdir(log_dir))
    ['train']
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        self.log_dir = str(log_dir)
        self.histogram_freq = check_argument(self, "histogram_freq", histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch":
            check_argument(self, "update_freq", update_freq, minimum=1)
        self.update_freq = update_freq
        if profile_batch:
            raise ValueError(
                "Profiling is not yet available with the numpy backend. Received: "
                f"profile_batch={profile_batch} (must be 0)"
            )
        self.embeddings_freq = check_argument(self, "embeddings_freq", embeddings_freq)
        self.embeddings_metadata = embeddings_metadata
        self._global_train_batch = 0
        self._writers = {}

    def set_model(self, model):
        """Sets the model; new event files are started (lazily), and the graph is written."""
        super().set_model(model)
        self._writers = {}
        if self.write_graph:
            self._write_graph()
        if self.embeddings_freq:
            self._write_projector_config()

    def _writer(self, name):
        if name not in self._writers:
            self._writers[name] = event_file.EventFileWriter(os.path.join(self.log_dir, name))
        return self._writers[name]

    def _scalars(self, name, step, logs, prefix, suffix=""):
        values = [
            event_file.scalar_value(f"{prefix}{key}{suffix}", float(value))
            for key, value in logs.items()
            if np.ndim(value) == 0
        ]
        if values:
            self._writer(name).add(step, *values)

    def _flush(self):
        for writer in self._writers.values():
            writer.flush()

    def _write_graph(self):
        try:
            json_text = self.model.to_json()
        except Exception as error:  # as in Keras: a model that can't serialize has no graph
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {error}", stacklevel=2)
            return
        value = event_file.tensor_value(
            "keras", [json_text.encode("utf-8")], "graph_keras_model", _BLOB_SEQUENCE, content=b"1"
        )
        self._writer("train").add(0, value)
        self._writer("train").flush()

    def _write_projector_config(self):
        from numkeras.layers.core.embedding import Embedding

        metadata = self.embeddings_metadata
        unused = dict(metadata) if isinstance(metadata, dict) else {}
        lines = []
        for layer in self.model.layers:
            if isinstance(layer, Embedding):
                lines += [
                    "embeddings {",
                    '  tensor_name: "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE"',
                ]
                path = metadata if isinstance(metadata, str) else unused.pop(layer.name, None)
                if path is not None:
                    lines.append(f'  metadata_path: "{path}"')
                lines.append("}")
        if unused:
            raise ValueError(
                "Unrecognized `Embedding` layer names passed to "
                "`keras.callbacks.TensorBoard` `embeddings_metadata` "
                f"argument: {unused.keys()}"
            )
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, "projector_config.pbtxt"), "w") as f:
            f.write("".join(line + "\n" for line in lines))

    # --- hooks ---------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._flush()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = (time.time(), int(self.model.optimizer.iterations.data))

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batch_start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        if self.write_steps_per_second:
            rate = 1.0 / (time.time() - self._batch_start)
            self._scalars("train", step, {"steps_per_second": rate}, "batch_")
        if isinstance(logs, dict):
            self._scalars("train", step, logs, "batch_")

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if logs and optimizer is not None:
            step = int(optimizer.iterations.data)
            self._scalars("validation", step, logs, "evaluation_", "_vs_iterations")
            self._writer("validation").flush()

    def on_epoch_end(self, epoch, logs=None):
        if logs:
            train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
            optimizer = self.model.optimizer
            train_logs.update(learning_rate_logs(getattr(optimizer, "inner_optimizer", optimizer)))
            if self.write_steps_per_second:
                start, iterations = self._epoch_start
                steps = int(self.model.optimizer.iterations.data) - iterations
                train_logs["steps_per_second"] = steps / (time.time() - start)
            self._scalars("train", epoch, train_logs, "epoch_")
            val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
            self._scalars("validation", epoch, val_logs, "epoch_")
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for layer in self.model.layers:
                for weight in layer.weights:
                    tag = weight.path.replace(":", "_") + "/histogram"
                    buckets = histogram_buckets(np.asarray(weight))
                    self._writer("train").add(
                        epoch, event_file.tensor_value(tag, buckets, "histograms", _TENSOR)
                    )
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            os.makedirs(os.path.join(self.log_dir, "train"), exist_ok=True)
            self.model.save_weights(
                os.path.join(self.log_dir, "train", f"keras_embedding.ckpt-{epoch}.weights.h5")
            )
        self._flush()
