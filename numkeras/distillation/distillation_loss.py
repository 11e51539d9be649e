"""Distillation losses: how a student's outputs are pulled towards a teacher's, as Keras 3's
`keras.distillation` computes them."""

from numkeras import losses, ops, tree


def _convert_loss_to_function(loss):
    """A loss name as Keras resolves it: a function (`"kl_divergence"`, `"mse"`), also for a
    class name (`"KLDivergence"` gives `kl_divergence`, as Keras's wrapped function does);
    loss objects, functions and None pass through."""
    if not isinstance(loss, str):
        return loss
    if loss in losses._FUNCTIONS:
        return losses._FUNCTIONS[loss]
    functions = {cls: fn for fn, cls in losses._FUNCTION_CLASSES.items()}
    found = functions.get(losses._CLASSES.get(loss))
    if found is None:
        raise ValueError(f"Unknown loss function: '{loss}'.")
    return found


def _serialize_losses(loss):
    return tree.map_structure(losses.serialize, loss)


def _deserialize_losses(config):
    """Configs back to losses; already rebuilt objects (from the `.keras` loader) stay."""
    if isinstance(config, dict) and "class_name" in config:
        return losses.deserialize(config)
    if isinstance(config, (list, tuple)):
        return [_deserialize_losses(c) for c in config]
    if isinstance(config, dict):
        return {k: _deserialize_losses(v) for k, v in config.items()}
    return config


def _check_losses(loss, message):
    if all(item is None for item in tree.flatten(loss)):
        raise ValueError(message)


def _total(values):
    return ops.sum(ops.stack([ops.convert_to_tensor(v, "float32") for v in tree.flatten(values)]))


class DistillationLoss:
    """The base class: subclass it and define `compute_loss(teacher_outputs,
    student_outputs)`, which returns a scalar."""

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Raise ValueError unless both outputs have the same structure."""
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        """Raise ValueError when this loss cannot work with these models."""


def _is_subclassed(model):
    return getattr(model, "inputs", None) is None


class FeatureDistillation(DistillationLoss):
    """`mean(loss(teacher_features, student_features))` between the outputs of two named
    layers (or the final outputs when no names are given).

    Args:
        loss: a name, a loss, or a structure of them matching the outputs (None skips one).
        teacher_layer_name: the teacher layer whose output is the target.
        student_layer_name: the student layer whose output is pulled towards it.
    """

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = tree.map_structure(_convert_loss_to_function, loss)
        _check_losses(
            self.loss,
            "The `loss` argument in `FeatureDistillation` must contain at least one "
            "non-`None` value.",
        )

    def validate_model_compatibility(self, teacher, student):
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            subclassed = [
                role
                for role, model in (("teacher", teacher), ("student", student))
                if _is_subclassed(model)
            ]
            if subclassed:
                raise ValueError(
                    "FeatureDistillation with specific layer names requires Functional or "
                    f"Sequential models. The {' and '.join(subclassed)} model(s) appear to be "
                    "subclassed (no symbolic inputs/outputs). Either use Functional/Sequential "
                    "models, or use FeatureDistillation without layer names (to distill final "
                    "outputs only), or use LogitsDistillation instead."
                )
        for role, model, name in (
            ("teacher", teacher, self.teacher_layer_name),
            ("student", student, self.student_layer_name),
        ):
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as e:
                    raise ValueError(f"In {role} model: {e}") from None

    def validate_outputs(self, teacher_outputs, student_outputs):
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as e:
            raise ValueError(
                f"Loss structure mismatch. Loss structure: {self.loss!r}, output structure: "
                f"{tree.map_structure(lambda _: '*', teacher_outputs)}. Error: {e}"
            ) from None

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        def apply(loss_fn, teacher, student):
            return 0.0 if loss_fn is None else ops.mean(loss_fn(teacher, student))

        return _total(tree.map_structure(apply, self.loss, teacher_outputs, student_outputs))

    def get_config(self):
        return {
            "loss": _serialize_losses(self.loss),
            "teacher_layer_name": self.teacher_layer_name,
            "student_layer_name": self.student_layer_name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _deserialize_losses(config["loss"])
        return cls(**config)


class LogitsDistillation(DistillationLoss):
    """`mean(loss(teacher_logits / T, student_logits / T))`. For a `KLDivergence` loss
    object both sides go through a softmax first and the result is scaled by `T**2` (Hinton et
    al.); with the default name `"kl_divergence"` Keras applies the function to the scaled
    logits directly, and so does this class.

    Args:
        temperature: T, > 0; higher values soften the distributions.
        loss: a name, a loss, or a structure of them matching the outputs (None skips one).
    """

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss = tree.map_structure(_convert_loss_to_function, loss)
        _check_losses(self.loss, "At least one loss must be non-`None`.")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise ValueError(f"temperature must be a number, got {type(temperature)}")
        if temperature <= 0.0:
            raise ValueError("temperature must be positive.")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        t = self.temperature
        teacher = tree.map_structure(lambda x: ops.divide(x, t), teacher_outputs)
        student = tree.map_structure(lambda x: ops.divide(x, t), student_outputs)

        def apply(loss_fn, teacher_logits, student_logits):
            if loss_fn is None:
                return 0.0
            if isinstance(loss_fn, losses.KLDivergence):
                teacher_probs = ops.softmax(teacher_logits, axis=-1)
                student_probs = ops.softmax(student_logits, axis=-1)
                return ops.mean(loss_fn(teacher_probs, student_probs)) * (t**2)
            return ops.mean(loss_fn(teacher_logits, student_logits))

        return _total(tree.map_structure(apply, self.loss, teacher, student))

    def get_config(self):
        return {"temperature": self.temperature, "loss": _serialize_losses(self.loss)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _deserialize_losses(config["loss"])
        return cls(**config)
