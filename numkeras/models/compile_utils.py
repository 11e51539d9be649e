"""The compiled loss and metrics of a model: resolve names, apply per output, sum."""

import itertools

from numkeras.tree import flatten


def _per_output(value, names, what):
    """Spread a compile argument over the outputs: one for all, a list, or a dict by name."""
    if names is None or len(names) == 1:
        if isinstance(value, dict) and names:
            return [value.get(names[0])]
        if isinstance(value, (list, tuple)) and len(value) == 1 and what == "loss":
            return list(value)
        return [value]
    if isinstance(value, dict):
        unknown = set(value) - set(names)
        if unknown:
            raise ValueError(
                f"`{what}` names unknown outputs {sorted(unknown)}; the outputs are {names}."
            )
        return [value.get(n) for n in names]
    nested = isinstance(value, (list, tuple)) and all(
        isinstance(v, (list, tuple)) or v is None for v in value
    )
    if isinstance(value, (list, tuple)) and (what == "loss" or nested):
        if len(value) != len(names):
            raise ValueError(
                f"`{what}` has {len(value)} entries but the model has {len(names)} outputs {names}."
            )
        return list(value)
    return [value] * len(names)


class CompileLoss:
    """Sum over outputs of `weight * loss(y_true, y_pred, sample_weight)`."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        from numkeras import losses

        self.config, self._loss_weights = loss, loss_weights
        self.metrics = []
        if output_names is None and isinstance(loss, (list, tuple, dict)) and len(loss) > 1:
            # a subclassed model's outputs are known at its first call: resolve then, as Keras
            for entry in loss.values() if isinstance(loss, dict) else loss:
                if entry is not None:
                    losses.get(entry)  # fail early on unknown names
            self.output_names = self.losses = None
            return
        self._resolve(output_names)

    def _resolve(self, output_names):
        from numkeras import losses

        loss, loss_weights = self.config, self._loss_weights
        self.output_names = output_names
        entries = _per_output(loss, output_names, "loss")
        self.losses = [None if entry is None else losses.get(entry) for entry in entries]
        weights = _per_output(loss_weights, output_names, "loss_weights")
        if isinstance(loss_weights, (list, tuple)) and output_names and len(output_names) > 1:
            weights = list(loss_weights)
        self.weights = [1.0 if w is None else float(w) for w in weights]
        from numkeras.metrics import Mean

        # with several losses, each output's unweighted loss is tracked as "<output>_loss"
        named = [n for n, fn in zip(output_names or [], self.losses) if fn is not None]
        self.metrics = [Mean(name=f"{n}_loss") for n in named] if len(named) > 1 else []

    def has_loss(self):
        return self.losses is None or any(fn is not None for fn in self.losses)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.losses is None:  # a subclassed model's first step: name its outputs
            self._resolve(
                list(y_pred)
                if isinstance(y_pred, dict)
                else [f"output_{i + 1}" for i in range(len(flatten(y_pred)))]
            )
        trues, preds = _align(y_true, self.output_names), _align(y_pred, self.output_names)
        total, trackers = None, iter(self.metrics)
        for fn, weight, t, p in zip(self.losses, self.weights, trues, preds):
            if fn is None:
                continue
            value = fn(t, p, sample_weight=sample_weight)
            for tracker in itertools.islice(trackers, 1):
                tracker.update_state(value.data, sample_weight=len(flatten(p)[0]))
            value = value * weight if weight != 1.0 else value
            total = value if total is None else total + value
        return total


def _align(values, names):
    if names and len(names) > 1 and isinstance(values, dict):
        return [values[n] for n in names]
    if names and len(names) > 1:
        return flatten(values)
    return [values]


class CompileMetrics:
    """The compiled metrics, as one container metric named "compile_metrics"."""

    name = "compile_metrics"

    def __init__(self, metrics, weighted_metrics=None, output_names=None):
        from numkeras import metrics as metrics_module

        self.output_names = output_names
        self.config = metrics
        self.entries = _per_output(metrics, output_names, "metrics")
        for entry in self.entries:
            for identifier in entry if isinstance(entry, (list, tuple)) else [entry] * bool(entry):
                if isinstance(identifier, str) and identifier not in ("accuracy", "acc"):
                    metrics_module.get(identifier)  # fail early on unknown names
        self.metrics = None  # resolved at the first batch, when label shapes are known

    def _build(self, y_true, y_pred):
        from numkeras import metrics as metrics_module

        self.metrics = []
        trues, preds = _align(y_true, self.output_names), _align(y_pred, self.output_names)
        multi = self.output_names and len(self.output_names) > 1
        for i, (entry, t, p) in enumerate(zip(self.entries, trues, preds)):
            ids = entry if isinstance(entry, (list, tuple)) else ([entry] if entry else [])
            for identifier in ids:
                metric = metrics_module.resolve_metric(identifier, t, p)
                if multi:
                    metric.name = f"{self.output_names[i]}_{metric.name}"
                self.metrics.append((i, metric))

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.metrics is None:
            self._build(y_true, y_pred)
        trues, preds = _align(y_true, self.output_names), _align(y_pred, self.output_names)
        for i, metric in self.metrics:
            metric.update_state(trues[i], preds[i], sample_weight=sample_weight)

    def result(self):
        return {metric.name: metric.result() for _, metric in self.metrics or []}

    def reset_state(self):
        for _, metric in self.metrics or []:
            metric.reset_state()

    @property
    def variables(self):
        """The variables of the metrics resolved so far (none before the first batch)."""
        return [v for _, metric in self.metrics or [] for v in metric.variables]

    def names(self):
        return [metric.name for _, metric in self.metrics or []]
