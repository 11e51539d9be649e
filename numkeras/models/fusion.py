"""The fusion pass: where a model's structure is known, chains of layers run as one fused op.

A rule matches a chain of two or three layers, each taking the previous one's output (by
their types and settings). `run_stack` runs a Sequential model's layers in order, and a
Functional model runs its graph with `graph_chains`' plan: chains of calls whose only output
only the next call takes, alone and with no other arguments, and which is not a model output.
Where a rule matches such a chain and the input is one the chain would take as is (built
layers of one dtype, tensors of that dtype, no mask), `run_chain` runs the rule's fused op
(ops/layer_ops/) instead of the calls; the longest chain that applies wins. A fused op is an
ordinary recorded op computed when it runs, so every output is a plain tensor; anything a
rule does not cover runs layer by layer.
"""

from numkeras import activations, ops
from numkeras.engine.tensor import Tensor
from numkeras.kernels import narrow_conv
from numkeras.ops.layer_ops import (
    add_relu,
    batch_norm_moving_relu,
    batch_norm_relu_mean,
    batch_norm_train,
    conv_relu_pool,
    layer_norm,
    pool_tiles,
)
from numkeras.ops.layer_ops.add_fused import add_relu_mean


class ConvReluMaxPool:
    """Conv2D(activation="relu", channels_last) then MaxPooling2D whose windows tile its output."""

    length = 2

    def matches(self, conv, pool):
        if type(conv).__name__ != "Conv2D":  # (before the imports: most pairs end here)
            return False
        from numkeras.layers.convolutional.base_conv import BaseConv
        from numkeras.layers.pooling.base_pooling import BasePooling

        return (
            isinstance(conv, BaseConv)
            and type(conv).__name__ == "Conv2D"
            and conv.activation is activations.relu
            and conv.groups == 1
            and conv.data_format == "channels_last"
            and getattr(conv, "activity_regularizer", None) is None
            and isinstance(pool, BasePooling)
            and type(pool).__name__ == "MaxPooling2D"
            and pool.data_format == "channels_last"
        )

    def applies(self, conv, pool, x, training):
        if len(x.shape) != 4 or x.shape[-1] != conv.kernel.shape[-2]:
            return False
        if narrow_conv.applies(conv.kernel.shape, conv.groups):  # ops.conv's own kernels
            return False
        shape = conv.compute_output_shape(tuple(x.shape))
        return all(shape[1:3]) and pool_tiles(shape, pool.pool_size, pool.strides, pool.padding)

    def run(self, conv, pool, x, training):
        conv._check_spatial(x.shape)
        return conv_relu_pool(
            x,
            conv.kernel,
            conv.bias,
            conv.strides,
            conv.padding,
            conv.dilation_rate,
            pool.pool_size,
        )


def _is_relu(layer):
    """An Activation("relu") layer or a ReLU layer with its defaults: plain `relu`."""
    from numkeras.layers.activations.relu import ReLU
    from numkeras.layers.core.activation import Activation

    if type(layer) is Activation:
        return layer.activation is activations.relu
    return (
        type(layer) is ReLU
        and layer.max_value is None
        and not layer.negative_slope
        and not layer.threshold
    )


def _training(layer, training):
    """The `training` value the layer's own call would get (explicit, enclosing, default)."""
    return bool(layer._resolve_call_kwargs({"training": training}).get("training"))


def _is_batch_norm(layer):
    from numkeras.layers.normalization.batch_normalization import BatchNormalization

    return type(layer) is BatchNormalization


def _is_global_mean(layer):
    """A GlobalAveragePooling1D or 2D layer over channels_last inputs."""
    from numkeras.layers.pooling.global_average_pooling import (
        GlobalAveragePooling1D,
        GlobalAveragePooling2D,
    )

    return (
        type(layer) in (GlobalAveragePooling1D, GlobalAveragePooling2D)
        and layer.data_format == "channels_last"
    )


def _pooled(y, pool, rank):
    """A fused op's (N, C) means as `pool` returns them (with its kept axes)."""
    if pool.keepdims:
        return ops.reshape(y, (y.shape[0],) + (1,) * (rank - 2) + (y.shape[1],))
    return y


class BatchNormRelu:
    """BatchNormalization over the last axis, then relu."""

    length = 2

    def matches(self, norm, act):
        return _is_batch_norm(norm) and _is_relu(act)

    def applies(self, norm, act, x, training):
        rank = norm.input_spec.ndim if norm.input_spec is not None else None
        if x.ndim != rank or norm.axis % rank != rank - 1:
            return False
        if x.shape[-1] != norm.moving_mean.shape[0]:
            return False  # (the layer's own call raises its error)
        if _training(norm, training) and norm.trainable:
            return True
        # the moving statistics are constants of the fused op: not if a tape watches them
        return not (norm.moving_mean.requires_grad or norm.moving_variance.requires_grad)

    def run(self, norm, act, x, training):
        if _training(norm, training) and norm.trainable:
            y, mean, variance = batch_norm_train(x, norm.gamma, norm.beta, norm.epsilon, True)
            norm._update_moving(mean, variance)
            return y
        return batch_norm_moving_relu(
            x,
            norm.gamma,
            norm.beta,
            norm.moving_mean.data,
            norm.moving_variance.data,
            norm.epsilon,
        )


class BatchNormReluMean:
    """BatchNormalization over the last axis with the batch's statistics, relu, then global
    average pooling (1-D or 2-D, channels_last): the pooled (N, C) values without the
    normalized ones (ops/layer_ops/norm_pool.py)."""

    length = 3

    def matches(self, norm, act, pool):
        return _is_batch_norm(norm) and _is_relu(act) and _is_global_mean(pool)

    def applies(self, norm, act, pool, x, training):
        rank = 3 if type(pool).__name__ == "GlobalAveragePooling1D" else 4
        return (
            x.ndim == rank
            and _training(norm, training)
            and norm.trainable
            and BatchNormRelu().applies(norm, act, x, training)
        )

    def run(self, norm, act, pool, x, training):
        y, mean, variance = batch_norm_relu_mean(x, norm.gamma, norm.beta, norm.epsilon)
        norm._update_moving(mean, variance)
        return _pooled(y, pool, x.ndim)


class AddRelu:
    """Add of two tensors of one shape, then relu."""

    length = 2

    def matches(self, add, act):
        from numkeras.layers.merging.add import Add

        return type(add) is Add and _is_relu(act)

    def applies(self, add, act, x, training):
        return isinstance(x, (list, tuple)) and len(x) == 2 and x[0].shape == x[1].shape

    def run(self, add, act, x, training):
        return add_relu(x[0], x[1])


class BatchNormAddRelu:
    """BatchNormalization over the last axis with the batch's statistics, Add of its output
    and another tensor of its shape (a residual block's shortcut), then relu: the sum formed
    in the normalizing pass (ops/layer_ops/norm_fused.py). The chain's input is the pair
    (the normalization's input, the shortcut) that `chain_input` finds."""

    length = 3
    side_input = True  # the Add's other tensor

    def matches(self, norm, add, act):
        from numkeras.layers.merging.add import Add

        return _is_batch_norm(norm) and type(add) is Add and _is_relu(act)

    def applies(self, norm, add, act, x, training):
        if not (isinstance(x, (list, tuple)) and len(x) == 2 and x[0].shape == x[1].shape):
            return False
        return (
            _training(norm, training)
            and norm.trainable
            and BatchNormRelu().applies(norm, act, x[0], training)
        )

    def run(self, norm, add, act, x, training):
        y, mean, variance = batch_norm_train(
            x[0], norm.gamma, norm.beta, norm.epsilon, True, residual=x[1]
        )
        norm._update_moving(mean, variance)
        return y


class AddReluMean:
    """Add of two tensors of one shape, relu, then global average pooling (1-D or 2-D,
    channels_last): a residual network's last block into its pooling, the pooled (N, C)
    values without the rectified sum (ops/layer_ops/add_fused.py)."""

    length = 3

    def matches(self, add, act, pool):
        from numkeras.layers.merging.add import Add

        return type(add) is Add and _is_relu(act) and _is_global_mean(pool)

    def applies(self, add, act, pool, x, training):
        rank = 3 if type(pool).__name__ == "GlobalAveragePooling1D" else 4
        return AddRelu().applies(add, act, x, training) and len(x[0].shape) == rank

    def run(self, add, act, pool, x, training):
        return _pooled(add_relu_mean(x[0], x[1]), pool, len(x[0].shape))


class AddLayerNorm:
    """Add of two tensors of one shape, then LayerNormalization over the last axis (a
    transformer's residual connection): the sum is formed inside the normalization's op."""

    length = 2

    def matches(self, add, norm):
        from numkeras.layers.merging.add import Add
        from numkeras.layers.normalization.layer_normalization import LayerNormalization

        return type(add) is Add and type(norm) is LayerNormalization and not norm.rms_scaling

    def applies(self, add, norm, x, training):
        if not (isinstance(x, (list, tuple)) and len(x) == 2 and x[0].shape == x[1].shape):
            return False
        rank = len(x[0].shape)
        axes = norm.axis if isinstance(norm.axis, list) else [norm.axis]
        # (an axis out of bounds, or a shape the weights do not fit: the layer's call raises)
        if rank == 0 or len(axes) != 1 or not -rank <= axes[0] < rank:
            return False
        if axes[0] % rank != rank - 1:
            return False
        weight = norm.gamma if norm.gamma is not None else norm.beta
        return weight is None or tuple(weight.shape) == tuple(x[0].shape[-1:])

    def run(self, add, norm, x, training):
        return layer_norm(x[0], norm.gamma, norm.beta, norm.epsilon, residual=x[1])


RULES = (
    BatchNormReluMean(),
    BatchNormAddRelu(),
    AddReluMean(),
    ConvReluMaxPool(),
    BatchNormRelu(),
    AddRelu(),
    AddLayerNorm(),
)
LENGTHS = sorted({rule.length for rule in RULES}, reverse=True)  # the longest tried first


def _plain(layer, x):
    """Whether `x` (a tensor, or a list of them) reaches `layer` as its `__call__` would
    pass it on unchanged."""
    if isinstance(x, (list, tuple)):
        return bool(x) and all(_plain(layer, t) for t in x)
    return (
        isinstance(x, Tensor) and x.dtype == layer.dtype and getattr(x, "_keras_mask", None) is None
    )


def _rule(chain):
    if any(getattr(layer, "activity_regularizer", None) is not None for layer in chain):
        return None
    return next(
        (r for r in RULES if r.length == len(chain) and r.matches(*chain)),
        None,
    )


def run_chain(chain, x, training=None):
    """The layers of `chain` called in turn on `x` (`training=training`) as one fused op, or
    None where no rule covers the call (then the caller runs the layers)."""
    first = chain[0]
    if not (
        all(layer.built and layer.dtype == first.dtype for layer in chain) and _plain(first, x)
    ):
        return None
    rule = _rule(chain)
    if rule is None or not rule.applies(*chain, x, training):
        return None
    return rule.run(*chain, x, training)


def run_stack(layers, x, training=None):
    """Call `layers` in sequence on `x`, fused chains as one op (the longest that applies)."""
    i, n = 0, len(layers)
    while i < n:
        for length in LENGTHS:
            y = run_chain(layers[i : i + length], x, training) if i + length <= n else None
            if y is not None:
                x, i = y, i + length
                break
        else:
            x = layers[i](x, training=training)
            i += 1
    return x


def _shortcut(arg, made):
    """The other tensor of a two-tensor list `arg` holding `made` once (an Add's shortcut
    beside the chain's own tensor), else None."""
    if not (isinstance(arg, (list, tuple)) and len(arg) == 2):
        return None
    if sum(t is made for t in arg) != 1:
        return None
    return arg[1] if arg[0] is made else arg[0]


def chain_input(nodes, chain, x, value):
    """What `run_chain` takes for a Functional chain of node positions whose first call's
    argument is `x`: `x`, or [x, shortcut] where a later call also takes a shortcut
    (`value(tensor)` gives its value, None where not yet computed: then None)."""
    from numkeras.tree import flatten

    for prev, k in zip(chain, chain[1:]):
        other = _shortcut(nodes[k].call_args[0], flatten(nodes[prev].outputs)[0])
        if other is not None:
            v = value(other)
            return None if v is None else [x, v]
    return x


def graph_chains(nodes, outputs):
    """{i: [chain, ...]} for a Functional graph's `nodes` (in run order) and `outputs`: the
    chains of node positions, longest first, that start at node i, a layer call, where each
    call's only output is not among `outputs` and only the next call takes, as its single
    argument (or, for a rule taking a shortcut, as one of the two tensors of its list), and
    a rule matches the chain's layers (positions, so a copy of the model keeps its plan)."""
    from numkeras.layers.layer import Layer
    from numkeras.tree import flatten

    takers = {}
    for j, node in enumerate(nodes):
        for t in node.input_tensors:
            takers.setdefault(id(t), []).append(j)
    output_ids = {id(t) for t in outputs}

    def plain_call(node):
        return (
            isinstance(node.operation, Layer) and len(node.call_args) == 1 and not node.call_kwargs
        )

    links = {}  # i: (the only node taking node i's output as its argument, via a shortcut)
    for i, node in enumerate(nodes):
        made = flatten(node.outputs)
        if len(made) != 1 or id(made[0]) in output_ids or len(takers.get(id(made[0]), ())) != 1:
            continue
        j = takers[id(made[0])][0]
        if not (plain_call(node) and plain_call(nodes[j])):
            continue
        arg = nodes[j].call_args[0]
        if arg is made[0] or _shortcut(arg, made[0]) is not None:
            links[i] = (j, arg is not made[0])
    plan = {}
    for i in links:
        chain, found, shortcut = [i], [], False
        while len(chain) < max(LENGTHS) and chain[-1] in links:
            j, side = links[chain[-1]]
            if side and shortcut:
                break
            chain.append(j)
            shortcut |= side
            rule = _rule([nodes[k].operation for k in chain])
            if rule is not None and getattr(rule, "side_input", False) == shortcut:
                found.insert(0, list(chain))
        if found:
            plan[i] = found
    # a chain into an Add's shortcut yields where the Add starts a chain reaching further
    # (ResNet's last BatchNormalization -> Add -> relu -> pooling: the Add, relu and pooling
    # fused, one thread 1.7-2.7 ms a step faster than the normalization, Add and relu)
    for i, chains in list(plan.items()):
        kept = [c for c in chains if not _overtaken(c, plan, links)]
        if kept:
            plan[i] = kept
        else:
            del plan[i]
    return plan


def _overtaken(chain, plan, links):
    """Whether `chain` takes a shortcut at its second call and a chain planned from there
    ends past its own last call."""
    j, side = links[chain[0]]
    return side and any(other[-1] > chain[-1] for other in plan.get(j, ()))
