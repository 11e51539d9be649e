"""Model: a Layer that trains (compile, fit, evaluate, predict) and reports (summary)."""

import contextlib
import warnings

import numpy as np

from numkeras import config
from numkeras.backend import blas_threads
from numkeras.backend.allocator import apply_step_memory_setting
from numkeras.backend.traceback_utils import checking_arguments
from numkeras.engine import Tensor, autodiff
from numkeras.layers import layer as layer_lib
from numkeras.layers.layer import Layer
from numkeras.models import argument_checks, replica, step_state, subclassed
from numkeras.models import data as data_lib
from numkeras.models import summary as summary_lib
from numkeras.models.argument_checks import check_batch_size as _check_batch_size
from numkeras.models.argument_checks import check_int as _check_int
from numkeras.models.argument_checks import check_verbose, should_validate
from numkeras.models.compile_utils import CompileLoss, CompileMetrics
from numkeras.models.data import ArrayData, unpack_x_y_sample_weight
from numkeras.models.interrupt import StepGuard
from numkeras.models.model_saving import SavingMethods
from numkeras.models.step_io import pack_x_y_sample_weight as _pack
from numkeras.models.step_io import pythonify_logs
from numkeras.saving.serialization import register_base_classes
from numkeras.tree import flatten, map_structure


class Model(SavingMethods, Layer):
    """Groups layers into an object with training and inference features.

    `Model(inputs, outputs)` builds a functional model from symbolic tensors; subclass `Model`
    and define `call` for a subclassed one.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs):
            from numkeras.models.functional import Functional

            return super().__new__(Functional)  # Python then runs Functional.__init__ once
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs:  # `MyModel(inputs, outputs)`: a functional subclass
            from numkeras.models.functional import Functional

            subclassed.inject_functional(type(self), Model, Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        super().__init__(
            trainable=kwargs.pop("trainable", True),
            name=kwargs.pop("name", None),
            dtype=kwargs.pop("dtype", None),
            **kwargs,
        )
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self.loss = None
        self._run_eagerly = False
        self.steps_per_execution = 1
        self.train_function = self.test_function = self.predict_function = None

    # --- compile ----------------------------------------------------------------------------
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Choose the optimizer, loss and metrics; names are checked before anything changes."""
        from numkeras import optimizers

        with checking_arguments():
            argument_checks.check_compile_arguments(loss_weights, metrics, steps_per_execution)
            optimizer = optimizers.get(optimizer)
            compile_loss = CompileLoss(loss, loss_weights, self._output_names())
            compile_metrics = CompileMetrics(metrics, weighted_metrics, self._output_names())
        from numkeras.metrics import Mean

        self.optimizer = optimizer
        self.loss = loss
        self.run_eagerly = run_eagerly
        self.steps_per_execution = steps_per_execution
        self.train_function = self.test_function = self.predict_function = None
        self._compile_loss = compile_loss
        self._compile_metrics = compile_metrics
        object.__setattr__(self, "_loss_tracker", Mean(name="loss"))  # not an attribute metric
        # not tracked: a metric object in it belongs to the compiled metrics, and would
        # otherwise also count as an attribute metric (evaluate returned it twice)
        object.__setattr__(
            self,
            "_compile_config",
            {
                "optimizer": optimizer,
                "loss": loss,
                "loss_weights": loss_weights,
                "metrics": metrics,
                "weighted_metrics": weighted_metrics,
                "run_eagerly": run_eagerly,
                "steps_per_execution": steps_per_execution,
                "jit_compile": jit_compile,
            },
        )
        self.compiled = True

    def _output_names(self):
        return None

    @property
    def run_eagerly(self):
        """Keras's switch between eager and compiled steps (numkeras steps are always eager;
        the value is kept for configs)."""
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = value

    # --- step functions (Keras's make_*_function; fit, evaluate and predict make them) ------
    def make_train_function(self, force=False):
        """Set and return `train_function`: a list of `steps_per_execution` batches in, the
        last batch's logs out (made once, unless `force`)."""
        if self.train_function is None or force:
            self.train_function = self._steps_on("train_step")
        return self.train_function

    def make_test_function(self, force=False):
        """Set and return `test_function` (as `make_train_function`, without gradients)."""
        if self.test_function is None or force:
            self.test_function = self._steps_on("test_step", no_grad=True)
        return self.test_function

    def make_predict_function(self, force=False):
        """Set and return `predict_function`: the predictions of each batch given, joined
        (one batch: its predictions)."""
        if self.predict_function is None or force:
            self.predict_function = self._steps_on("predict_step", no_grad=True)
        return self.predict_function

    def __getstate__(self):
        """Copies (pickle, deepcopy) leave out the step functions: they close over this model,
        so a copy would train the original; the copy makes its own on its next fit."""
        state = dict(self.__dict__)
        state["train_function"] = state["test_function"] = state["predict_function"] = None
        return state

    def _steps_on(self, step, no_grad=False):
        return _StepFunction(self, step, no_grad)

    def stateless_compute_loss(
        self,
        trainable_variables,
        non_trainable_variables,
        metrics_variables,
        x=None,
        y=None,
        y_pred=None,
        sample_weight=None,
        training=True,
    ):
        """`compute_loss` with the given variable values in place of the model's; returns
        `loss, (trainable_variables, non_trainable_variables, metrics_variables)` with the
        values they end with, leaving the model's own variables as they were."""
        from numkeras.stateless_scope import StatelessScope

        mapping = list(zip(self.trainable_variables, trainable_variables))
        mapping += list(zip(self.non_trainable_variables, non_trainable_variables))
        mapping += list(zip(self.metrics_variables, metrics_variables))
        with StatelessScope(state_mapping=mapping) as scope:
            loss = self.compute_loss(x, y, y_pred, sample_weight=sample_weight, training=training)
        non_trainable = [scope.get_current_value(v) for v in self.non_trainable_variables]
        metrics = [scope.get_current_value(v) for v in self.metrics_variables]
        return loss, (trainable_variables, non_trainable, metrics)

    # --- the model's state as nested dicts --------------------------------------------------
    def get_state_tree(self, value_format="backend_tensor"):
        """The model's variables as nested dicts keyed by their paths' parts, in four groups:
        trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables
        (`value_format`: "backend_tensor" or "numpy_array")."""
        if self.optimizer is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'optimizer'")
        return {
            "trainable_variables": _nested(self.trainable_variables, value_format),
            "non_trainable_variables": _nested(self.non_trainable_variables, value_format),
            "optimizer_variables": _nested(self.optimizer.variables, value_format),
            "metrics_variables": _nested(self.metrics_variables, value_format),
        }

    def set_state_tree(self, state_tree):
        """Assign the values of a `get_state_tree()`-shaped dict to the variables whose paths
        they are keyed by."""
        groups = {
            "trainable_variables": lambda: self.trainable_variables,
            "non_trainable_variables": lambda: self.non_trainable_variables,
            "optimizer_variables": lambda: (
                self.optimizer.variables if self.optimizer is not None else []
            ),
            "metrics_variables": lambda: self.metrics_variables,
        }
        for key in state_tree:
            if key not in groups:
                raise ValueError(f"Unknown variable name: {key}")
        for key, tree in state_tree.items():
            values = _flat_paths(tree)
            for variable in groups[key]():
                if variable.path in values:
                    variable.assign(values[variable.path])

    def _assert_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(
                f"You must call `compile()` before calling `{method}()`. For example: "
                "model.compile(optimizer='adam', loss='categorical_crossentropy', "
                "metrics=['accuracy'])."
            )

    @property
    def metrics(self):
        """Keras's order: the loss tracker, the compiled metrics, one loss tracker per output,
        then metrics assigned as attributes of the model and its layers; a sublayer that is
        itself a model (a distiller's teacher) keeps its metrics to itself, as in Keras."""
        out = [self._loss_tracker, self._compile_metrics] if self.compiled else []
        out += getattr(self._compile_loss, "metrics", []) if self.compiled else []
        found = self._own_metrics() + [
            m for layer in self._layers if not isinstance(layer, Model) for m in layer.metrics
        ]
        return out + [m for m in found if all(m is not o for o in out)]

    @property
    def metrics_names(self):
        return ["loss"] + self._compile_metrics.names() if self.compiled else []

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    # --- the steps that users override -----------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus every loss the layers added (regularization, add_loss)."""
        losses = []
        if self._compile_loss.has_loss():
            losses.append(self._compile_loss(y, y_pred, sample_weight))
        losses.extend(self.losses)
        if not losses:
            raise ValueError(
                "No loss to compute: pass `loss=` to `compile()` or call `add_loss()` in a layer."
            )
        total = losses[0]
        for extra in losses[1:]:
            total = total + extra
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        logs = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[metric.name] = result
        return {k: float(v) for k, v in sorted(logs.items())}

    def train_step(self, data):
        """One optimizer step on one batch; returns the running metric values."""
        with layer_lib.fixed_structure():  # each layer's tracked items walked once a step
            x, y, sample_weight = unpack_x_y_sample_weight(data)
            if layer_lib._with_losses:  # (a walk over every layer, when some layer added losses)
                self._clear_losses()
            with autodiff.enable_grad():  # record the graph
                y_pred = self(x, training=True)
                loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
                scaled = self.optimizer.scale_loss(loss)  # `apply` divides the gradients back
            self._loss_tracker.update_state(loss.data, sample_weight=_batch_size(x))
            variables = self.trainable_weights
            # (the tape's gradients; an embedding's as its rows when the optimizer takes them)
            rows = self.optimizer._updates_by_rows()
            grads = (
                autodiff.gradients(scaled, variables, rows=rows)
                if scaled.requires_grad
                else [None] * len(variables)
            )
            logs = self.compute_metrics(x, y, y_pred, sample_weight)
            # last: the optimizer updates in place, so all that can fail has run (step_state)
            self.optimizer.apply_gradients(zip(grads, variables))
        return logs

    def test_step(self, data):
        with layer_lib.fixed_structure():
            x, y, sample_weight = unpack_x_y_sample_weight(data)
            if layer_lib._with_losses:
                self._clear_losses()
            y_pred = self(x, training=False)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
            self._loss_tracker.update_state(loss.data, sample_weight=_batch_size(x))
            return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # --- loops ----------------------------------------------------------------------------------
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Train for `epochs` epochs over `x`, `y` in batches; returns a `History`.

        `x` may also be a generator or iterable of `(x, y[, sample_weight])` batches (with
        `steps_per_epoch` batches per epoch, if given) or a `PyDataset`. Ctrl-C lets the
        batch under way finish, then raises KeyboardInterrupt; `model.history` keeps the
        epochs that finished.
        """
        from numkeras.callbacks.callback_list import CallbackList
        from numkeras.callbacks.terminate_on_nan import with_nan_warning

        self._assert_compiled("fit")
        apply_step_memory_setting()  # glibc: steps reuse heap memory (numkeras.config)
        with checking_arguments():  # an error about the arguments is raised from this line
            batch_size = _check_batch_size(batch_size, default=None)
            _check_int("epochs", epochs, 0)
            _check_int("initial_epoch", initial_epoch, 0)
            argument_checks.check_fit_arguments(
                validation_split,
                validation_data,
                validation_freq,
                shuffle,
                class_weight,
                steps_per_epoch,
                validation_steps,
                validation_batch_size,
            )
            train, val = data_lib.fit_sources(
                x,
                y,
                sample_weight,
                class_weight,
                batch_size,
                steps_per_epoch,
                shuffle,
                validation_split,
                validation_data,
                validation_batch_size,
                validation_steps,
            )
            for source in (train, val) if val is not None else (train,):
                self._check_source_inputs(source, "fit")
        if config.max_epochs() and config.max_epochs() < epochs:  # keras.config.set_max_epochs
            warnings.warn(f"Limiting epochs to {config.max_epochs()}", stacklevel=2)
            epochs = config.max_epochs()
        self.make_train_function()  # as Keras: `train_function` is set once fit has run
        if val is not None:
            self.make_test_function()
        data = data_lib.EpochIterator(train, steps_per_epoch)
        val = val and data_lib.EpochIterator(val, validation_steps, role="validation")
        callbacks = CallbackList(
            with_nan_warning(callbacks),
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=check_verbose(verbose),
            epochs=epochs,
            steps=data.num_batches,
        )
        self.stop_training, self._initial_epoch, epoch_logs = False, None, {}
        with StepGuard() as guard:
            blas_threads.refresh()  # as many BLAS threads as other processes leave cores
            callbacks.on_train_begin()  # BackupAndRestore may set _initial_epoch here
            train_step = step_state.all_or_nothing(  # MPI: state of process 0
                replica.step_function(self, "train")
            )
            check_batches = not isinstance(train, data_lib.ArraySource)
            for epoch in range(self._initial_epoch or initial_epoch, epochs):
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                logs = None
                for step, batch in data:
                    callbacks.on_train_batch_begin(step)
                    blas_threads.refresh(during_fit=True)
                    if check_batches:  # generator and PyDataset batches: as arrays are
                        argument_checks.check_target_arrays(self, batch[1], "fit")
                    logs = pythonify_logs(guard.run(train_step, _pack(*batch)))
                    callbacks.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                if logs is None:  # a generator ran out before this epoch began
                    break
                epoch_logs = dict(sorted(logs.items()))
                if val is not None and should_validate(epoch, validation_freq):
                    val_logs = self._evaluate_data(val, callbacks)
                    epoch_logs.update({"val_" + k: v for k, v in sorted(val_logs.items())})
                callbacks.on_epoch_end(epoch, epoch_logs)
                if data.exhausted:  # a generator can't be restarted: no data for more epochs
                    if data.steps is None and epoch + 1 < epochs:
                        data.warn_ran_out(stacklevel=3)
                    self.stop_training = True
                if self.stop_training:
                    break
        self.optimizer.finalize_variable_values(self.trainable_weights)  # EMA, if enabled
        callbacks.on_train_end(epoch_logs)
        return self.history

    def _check_source_inputs(self, source, method):
        """Array data: inputs fit the model, targets fit the loss, sample weights the targets."""
        if isinstance(source, data_lib.ArraySource):
            self._check_model_inputs(source.data.x)
            argument_checks.check_sample_weight(source.data)
            argument_checks.check_targets(self, source, method)

    def _evaluate_data(self, data, callbacks):
        """Run the test step over one epoch of `data`; fires the `on_test_*` hooks."""
        self.reset_metrics()
        logs = {}
        blas_threads.refresh()
        callbacks.on_test_begin()
        test_step = replica.step_function(self, "test")
        with autodiff.no_grad():
            for step, batch in data:
                callbacks.on_test_batch_begin(step)
                logs = pythonify_logs(test_step(_pack(*batch)))
                callbacks.on_test_batch_end(step, logs)
        callbacks.on_test_end(logs)
        return logs

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
    ):
        """Loss and metrics over `x`, `y` (arrays, a generator/iterable of batches or a
        PyDataset): `[loss, *metrics]`, or the loss alone without metrics."""
        from numkeras.callbacks.callback_list import CallbackList

        self._assert_compiled("evaluate")
        apply_step_memory_setting()  # glibc: steps reuse heap memory (numkeras.config)
        with checking_arguments():  # an error about the arguments is raised from this line
            argument_checks.check_steps("steps", steps)
            source = data_lib.make_source(
                x, y, sample_weight, batch_size=_check_batch_size(batch_size, None), steps=steps
            )
            self._check_source_inputs(source, "evaluate")
        self.make_test_function()
        data = data_lib.EpochIterator(source, steps, role="evaluation")
        callbacks = CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=check_verbose(verbose),
            epochs=1,
            steps=data.num_batches,
            mode="test",
        )
        logs = self._evaluate_data(data, callbacks)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for `x` (arrays, a generator/iterable of batches or a PyDataset),
        batch by batch, as float32 NumPy arrays."""
        from numkeras.callbacks.callback_list import CallbackList

        apply_step_memory_setting()  # glibc: steps reuse heap memory (numkeras.config)
        with checking_arguments():  # an error about the arguments is raised from this line
            argument_checks.check_steps("steps", steps)
            source = data_lib.make_source(
                x, batch_size=_check_batch_size(batch_size, None), steps=steps
            )
            self._check_source_inputs(source, "predict")
        self.make_predict_function()
        data = data_lib.EpochIterator(source, steps, role="prediction")
        callbacks = CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=check_verbose(verbose),
            epochs=1,
            steps=data.num_batches,
            mode="predict",
        )
        blas_threads.refresh()
        callbacks.on_predict_begin()
        outputs = []
        predict_step = replica.step_function(self, "predict")
        with autodiff.no_grad():
            for step, batch in data:
                callbacks.on_predict_batch_begin(step)
                outputs.append(map_structure(_to_numpy, predict_step(batch)))
                callbacks.on_predict_batch_end(step, {})
        callbacks.on_predict_end()
        outputs = replica.gather_outputs(outputs)  # MPI: every process's rows
        if not outputs:
            raise ValueError("`predict` received no batches: the input yielded no data.")
        first = outputs[0]
        if isinstance(first, np.ndarray):
            return np.concatenate(outputs)
        leaves = [flatten(o) for o in outputs]
        joined = iter([np.concatenate(parts) for parts in zip(*leaves)])
        return map_structure(lambda _: next(joined), first)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._assert_compiled("train_on_batch")
        apply_step_memory_setting()  # as fit/evaluate/predict: steps reuse heap memory
        blas_threads.refresh(during_fit=True)  # a custom loop's threads follow the load too
        with checking_arguments():
            argument_checks.check_class_weight(class_weight)
            data = ArrayData(x, y, data_lib.array_sample_weight(y, sample_weight, class_weight))
            self._check_source_inputs(data_lib.ArraySource(data, data.size), "train_on_batch")
        self.reset_metrics()
        train_step = step_state.all_or_nothing(self.train_step)
        logs = pythonify_logs(train_step(_pack(data.x, data.y, data.sample_weight)))
        return self._batch_result(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled("test_on_batch")
        apply_step_memory_setting()  # as fit/evaluate/predict: steps reuse heap memory
        blas_threads.refresh(during_fit=True)
        with checking_arguments():
            data = ArrayData(x, y, sample_weight)
            self._check_source_inputs(data_lib.ArraySource(data, data.size), "test_on_batch")
        self.reset_metrics()
        with autodiff.no_grad():
            logs = pythonify_logs(self.test_step(_pack(data.x, data.y, data.sample_weight)))
        return self._batch_result(logs, return_dict)

    def predict_on_batch(self, x):
        apply_step_memory_setting()  # as predict: steps reuse heap memory
        blas_threads.refresh(during_fit=True)
        with checking_arguments():
            data = ArrayData(x)
            self._check_model_inputs(data.x)
        with autodiff.no_grad():
            return map_structure(_to_numpy, self.predict_step((data.x,)))

    def _batch_result(self, logs, return_dict):
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def _flatten_metrics_in_order(self, logs):
        """The values in `metrics` order (a multi-output model's compiled metrics, named after
        their outputs, come last, by name), as Keras's evaluate returns them."""
        names = []
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                names += metric.names() if len(metric.output_names or ()) <= 1 else []
            else:
                names.append(metric.name)
        values = [logs[n] for n in names if n in logs]
        values += [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    def _check_model_inputs(self, x):
        """Overridden by models that know their input shape (Sequential, Functional)."""

    # --- reporting -----------------------------------------------------------------------------
    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        """Print the layer table: name (type), output shape, parameter count, as Keras 3 does."""
        from numkeras.models.sequential import Sequential

        rows = []
        for layer in self.layers:
            if isinstance(self, Sequential):
                shape = getattr(layer, "_built_output_shape", None)
                rows.append(summary_lib.layer_row(layer, shape))
            else:  # subclassed: as Keras, shapes known from `build` and `compute_output_shape`
                rows.append(summary_lib.layer_row(layer, subclassed.built_output_shape(layer)))
                if not layer.built and subclassed.counts_as_built(layer):
                    rows[-1][2] = "0"
        text = summary_lib.format_summary(self, rows, connected=False, line_length=line_length)
        (print_fn or print)(text)

    @property
    def layers(self):
        return self._layers

    def get_layer(self, name=None, index=None):
        """A layer by name or by index (as in `model.layers`)."""
        if (name is None) == (index is None):
            raise ValueError(
                "Provide either a layer name or layer index at `get_layer`. "
                f"Received: name={name!r}, index={index!r}."
            )
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(self.layers)} layers."
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[la.name for la in self.layers]}."
        )


register_base_classes(Model=Model)


class _StepFunction:
    """A `*_function`: runs the model's `step` on each batch of a list (a class, not a
    closure, so models with one still pickle)."""

    def __init__(self, model, step, no_grad):
        self.model, self.step, self.no_grad = model, step, no_grad

    def __call__(self, data):
        with autodiff.no_grad() if self.no_grad else contextlib.nullcontext():
            results = [getattr(self.model, self.step)(batch) for batch in data]
        if self.step != "predict_step" or len(results) == 1:
            return results[-1]
        return map_structure(lambda *parts: np.concatenate([_to_numpy(p) for p in parts]), *results)


def _nested(variables, value_format):
    """{"sequential": {"dense": {"kernel": value}}} from variables' "/"-separated paths."""
    flat = {}
    for v in variables:
        if v.path in flat:
            raise ValueError(
                f"The following variable path is found twice in the model: '{v.path}'. "
                "`get_state_tree()` can only be called when all variable paths are unique. "
                "Make sure to give unique names to your layers (and other objects)."
            )
        if value_format == "backend_tensor":
            flat[v.path] = v.value
        elif value_format == "numpy_array":
            flat[v.path] = v.numpy()
        else:
            raise ValueError(
                "Invalid `value_format` argument. Expected one of "
                "{'numpy_array', 'backend_tensor'}. Received: "
                f"value_format={value_format}"
            )
    nested = {}
    for path, value in flat.items():
        *parents, leaf = path.split("/")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def _flat_paths(tree, prefix=""):
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flat_paths(value, f"{prefix}{key}/"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _to_numpy(value):
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _batch_size(x):
    return len(flatten(x)[0])
