"""Distiller: a model that trains a student on its labels and on a frozen teacher's outputs,
as Keras 3's `keras.distillation.Distiller`."""

from numkeras import metrics, ops, tree
from numkeras.distillation.distillation_loss import _convert_loss_to_function
from numkeras.models.model import Model


class Distiller(Model):
    """`loss = w * student_loss + (1 - w) * sum_i(weight_i * distillation_loss_i)`.

    Calling the distiller runs the student; `fit` trains only the student (the teacher is
    frozen). `compile(loss=...)` sets the student's supervised loss. The logs hold `loss`,
    `student_loss`, `distillation_loss` and `total_loss` besides the compiled metrics.

    Args:
        teacher: a trained model; its trainable flag is turned off.
        student: the model to train.
        distillation_losses: a `DistillationLoss` or a list of them.
        distillation_loss_weights: one weight per loss (default 1.0 each).
        student_loss_weight: w, in [0, 1].
        name: the model's name.
    """

    def __init__(
        self,
        teacher,
        student,
        distillation_losses,
        distillation_loss_weights=None,
        student_loss_weight=0.5,
        name="distiller",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self._validate_models(teacher, student)
        self.teacher = teacher
        self.student = student
        if isinstance(student_loss_weight, bool) or not isinstance(
            student_loss_weight, (int, float)
        ):
            raise ValueError(
                f"student_loss_weight must be a number, got {type(student_loss_weight)}"
            )
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(
                f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}"
            )
        self.student_loss_weight = student_loss_weight
        if distillation_losses is None:
            raise ValueError(
                "'distillation_losses' cannot be `None`. Provide a distillation loss (e.g., "
                "LogitsDistillation or FeatureDistillation) or a list of distillation losses."
            )
        if not isinstance(distillation_losses, (list, tuple)):
            self.distillation_losses = [distillation_losses]
            self.distillation_loss_weights = [1.0]
        else:
            self.distillation_losses = distillation_losses
            if distillation_loss_weights is None:
                distillation_loss_weights = [1.0] * len(distillation_losses)
            elif len(distillation_loss_weights) != len(distillation_losses):
                raise ValueError(
                    f"Number of distillation_loss_weights ({len(distillation_loss_weights)}) "
                    f"must match number of distillation_losses ({len(distillation_losses)})"
                )
            self.distillation_loss_weights = distillation_loss_weights
        for distillation_loss in self.distillation_losses:
            distillation_loss.validate_model_compatibility(teacher, student)
        self._create_multi_feature_extractors()
        self.teacher.trainable = False
        self.student_loss_tracker = metrics.Mean(name="student_loss")
        self.distillation_loss_tracker = metrics.Mean(name="distillation_loss")
        self.total_loss_tracker = metrics.Mean(name="total_loss")

    # --- checks -------------------------------------------------------------------------------
    def _validate_models(self, teacher, student):
        for role, model in (("Teacher", teacher), ("Student", student)):
            if not isinstance(model, Model):
                raise ValueError(f"{role} must be a keras.Model, got {type(model)}")
        t_in, s_in = getattr(teacher, "inputs", None), getattr(student, "inputs", None)
        t_out, s_out = getattr(teacher, "outputs", None), getattr(student, "outputs", None)
        if t_in is not None and s_in is not None:
            tree.map_structure(lambda a, b: _same_shape(a.shape, b.shape, "input"), t_in, s_in)
        if t_out is not None and s_out is not None:
            tree.map_structure(lambda a, b: _same_shape(a.shape, b.shape, "output"), t_out, s_out)
        if t_in is not None and s_in is not None:
            tree.map_structure(lambda a, b: _same_dtype(a.dtype, b.dtype, "input"), t_in, s_in)
            if t_out is not None and s_out is not None:
                tree.map_structure(
                    lambda a, b: _same_dtype(a.dtype, b.dtype, "output"), t_out, s_out
                )

    # --- features -----------------------------------------------------------------------------
    def _create_multi_feature_extractors(self):
        """One functional model per side returning the final output and every named layer's
        output, so each side runs once per step whatever the number of losses."""
        names = {"teacher": [], "student": []}
        for distillation_loss in self.distillation_losses:
            for role in names:
                name = getattr(distillation_loss, f"{role}_layer_name", None)
                if name and name not in names[role]:
                    names[role].append(name)
        self._teacher_feature_extractor = _feature_extractor(self.teacher, names["teacher"])
        self._student_feature_extractor = _feature_extractor(self.student, names["student"])

    def _extract_all_teacher_features(self, x):
        if self._teacher_feature_extractor is not None:
            return self._teacher_feature_extractor(x, training=False)
        return {"final_output": self.teacher(x, training=False)}

    def _extract_all_student_features(self, x, y_pred):
        if self._student_feature_extractor is not None:
            return self._student_feature_extractor(x, training=True)
        return {"final_output": y_pred}

    def _get_distillation_loss_features(self, distillation_loss, all_features, is_teacher):
        role = "teacher" if is_teacher else "student"
        layer_name = getattr(distillation_loss, f"{role}_layer_name") or "final_output"
        if layer_name not in all_features:
            raise ValueError(
                f"Layer '{layer_name}' not found in extracted features. "
                f"Available: {list(all_features.keys())}"
            )
        return all_features[layer_name]

    # --- training -----------------------------------------------------------------------------
    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """`loss` is the student's supervised loss (required); the rest as `Model.compile`."""
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        student_loss = tree.map_structure(_convert_loss_to_function, loss)
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)
        self._student_loss = student_loss
        self._student_loss_for_serialization = loss

    def call(self, inputs, training=None, **kwargs):
        return self.student(inputs, training=training, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The weighted student and distillation losses; also updates the three trackers.
        Like Keras, `sample_weight` and the layers' own losses are not used."""
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            values = tree.flatten(
                tree.map_structure(lambda fn, t, p: fn(t, p), self._student_loss, y, y_pred)
            )
            student_loss = ops.sum(ops.stack(values)) if len(values) > 1 else values[0]
            if len(getattr(student_loss, "shape", ())) > 0:
                student_loss = ops.mean(student_loss)
        distillation_loss = 0.0
        if self.student_loss_weight < 1.0:
            teacher_features = self._extract_all_teacher_features(x)
            student_features = self._extract_all_student_features(x, y_pred)
            for loss_fn, weight in zip(self.distillation_losses, self.distillation_loss_weights):
                if getattr(loss_fn, "teacher_layer_name", None) is not None:
                    try:
                        teacher_out = self._get_distillation_loss_features(
                            loss_fn, teacher_features, is_teacher=True
                        )
                        student_out = self._get_distillation_loss_features(
                            loss_fn, student_features, is_teacher=False
                        )
                    except ValueError as e:
                        raise RuntimeError(
                            f"Failed to extract features for {type(loss_fn).__name__} "
                            f"targeting teacher layer '{loss_fn.teacher_layer_name}' and "
                            f"student layer '{loss_fn.student_layer_name}'. Original error: {e}"
                        ) from e
                else:
                    teacher_out, student_out = teacher_features["final_output"], y_pred
                loss_fn.validate_outputs(teacher_out, student_out)
                value = loss_fn.compute_loss(teacher_out, student_out)
                if len(getattr(value, "shape", ())) > 0:
                    raise ValueError(
                        f"Distillation loss {type(loss_fn).__name__} returned a non-scalar "
                        f"loss with shape {value.shape}. The compute_loss method must return "
                        "a scalar tensor."
                    )
                distillation_loss = ops.add(distillation_loss, ops.multiply(weight, value))
        total_loss = ops.add(
            ops.multiply(self.student_loss_weight, student_loss),
            ops.multiply(ops.subtract(1.0, self.student_loss_weight), distillation_loss),
        )
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation_loss)
        self.total_loss_tracker.update_state(total_loss)
        return total_loss

    # --- configs ------------------------------------------------------------------------------
    def get_config(self):
        from numkeras.saving.serialization import serialize_keras_object

        config = super().get_config()
        config.update(
            teacher=serialize_keras_object(self.teacher),
            student=serialize_keras_object(self.student),
            distillation_losses=[serialize_keras_object(d) for d in self.distillation_losses],
            distillation_loss_weights=self.distillation_loss_weights,
            student_loss_weight=self.student_loss_weight,
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numkeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        for key in ("teacher", "student"):
            config[key] = deserialize_keras_object(config[key], custom_objects)
        config["distillation_losses"] = [
            deserialize_keras_object(d, custom_objects) for d in config["distillation_losses"]
        ]
        return cls(**config)


def _same_shape(teacher_shape, student_shape, context):
    if len(teacher_shape) != len(student_shape):
        raise ValueError(
            f"Teacher and student {context} shapes have different dimensions. "
            f"Teacher: {teacher_shape}, Student: {student_shape}."
        )
    for a, b in zip(teacher_shape, student_shape):
        if a is not None and b is not None and a != b:
            raise ValueError(
                f"Teacher and student {context} shapes are incompatible. Teacher: "
                f"{teacher_shape}, Student: {student_shape}. All dimensions must match."
            )


def _same_dtype(teacher_dtype, student_dtype, context):
    if teacher_dtype != student_dtype:
        raise ValueError(
            f"Teacher and student {context} dtypes must match. "
            f"Teacher: {teacher_dtype}, Student: {student_dtype}."
        )


def _feature_extractor(model, layer_names):
    """A functional model from `model`'s inputs to `{"final_output": ..., name: ...}`, or None
    without layer names."""
    from numkeras.models.sequential import Sequential

    if not layer_names:
        return None
    if getattr(model, "inputs", None) is None:
        raise ValueError(
            f"Cannot create feature extractor for {model.name}. "
            "The model has no symbolic inputs attribute."
        )
    final = model.layers[-1].output if isinstance(model, Sequential) else model.output
    outputs = {"final_output": final}
    for name in layer_names:
        outputs[name] = model.get_layer(name=name).output
    return Model(inputs=model.inputs, outputs=outputs, name=f"{model.name}_multi_feature_extractor")
