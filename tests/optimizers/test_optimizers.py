"""Optimizers and learning-rate schedules against Keras 3's formulas.

Each optimizer is checked against an independent float64 NumPy implementation of the
formula in Keras 3's source (with Keras's defaults written out again here), plus a few
hand-computed values, and, when Keras is installed, against real `keras.optimizers`.
"""

import copy
import math
import pickle
import re

import numpy as np
import pytest

import numkeras
from numkeras import optimizers
from numkeras.optimizers import schedules

F32 = np.float32


# --- independent float64 references (one step for one variable; `s` holds the slots) ----
def ref_sgd(w, g, s, t, learning_rate=0.01, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - learning_rate * g
    m = s["m"] = momentum * s.get("m", 0.0) - learning_rate * g
    return w + (momentum * m - learning_rate * g if nesterov else m)


def ref_adam(
    w,
    g,
    s,
    t,
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-7,
    amsgrad=False,
    weight_decay=None,
):
    if weight_decay is not None:
        w = w - w * weight_decay * learning_rate
    m = s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    v = s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g * g
    if amsgrad:
        v = s["v_hat"] = np.maximum(s.get("v_hat", 0.0), v)
    alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon)


def ref_adamw(w, g, s, t, weight_decay=0.004, **kwargs):
    return ref_adam(w, g, s, t, weight_decay=weight_decay, **kwargs)


def ref_rmsprop(
    w, g, s, t, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False
):
    v = s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
    denominator = v + epsilon
    if centered:
        a = s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        denominator = v - a * a + epsilon
    step = learning_rate * g / np.sqrt(denominator)
    if momentum > 0:
        step = s["mom"] = momentum * s.get("mom", 0.0) + step
    return w - step


def ref_adagrad(w, g, s, t, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    acc = s["acc"] = s.get("acc", initial_accumulator_value) + g * g
    return w - learning_rate * g / np.sqrt(acc + epsilon)


def ref_adadelta(w, g, s, t, learning_rate=0.001, rho=0.95, epsilon=1e-7):
    acc_g = s["acc_g"] = rho * s.get("acc_g", 0.0) + (1 - rho) * g * g
    delta = -np.sqrt(s.get("acc_d", 0.0) + epsilon) / np.sqrt(acc_g + epsilon) * g
    s["acc_d"] = rho * s.get("acc_d", 0.0) + (1 - rho) * delta * delta
    return w + learning_rate * delta


def ref_adamax(w, g, s, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    u = s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
    return w - learning_rate * m / ((1 - beta_1**t) * (u + epsilon))


def ref_nadam(w, g, s, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # Keras's schedule mu_t = beta_1 (1 - 0.5 * 0.96**t) and its running product.
    mu = lambda k: beta_1 * (1 - 0.5 * 0.96**k)
    product_t = np.prod([mu(k) for k in range(1, t + 1)])
    product_next = product_t * mu(t + 1)
    m = s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    v = s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g * g
    m_hat = mu(t + 1) * m / (1 - product_next) + (1 - mu(t)) * g / (1 - product_t)
    v_hat = v / (1 - beta_2**t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)


def ref_lion(w, g, s, t, learning_rate=0.001, beta_1=0.9, beta_2=0.99):
    m = s.get("m", 0.0)
    w = w - learning_rate * np.sign(beta_1 * m + (1 - beta_1) * g)
    s["m"] = beta_2 * m + (1 - beta_2) * g
    return w


SHAPES = [(3, 4), (5,)]


def _problem(steps=3, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=s).astype(F32) for s in SHAPES]
    grads = [[rng.normal(size=s).astype(F32) for s in SHAPES] for _ in range(steps)]
    return weights, grads


def run_ours(optimizer, weights, grads):
    variables = [numkeras.Variable(w, name=f"w{i}") for i, w in enumerate(weights)]
    for step_grads in grads:
        optimizer.apply_gradients(zip(step_grads, variables))
    return [v.numpy() for v in variables]


def run_reference(ref, weights, grads, **kwargs):
    ws = [w.astype(np.float64) for w in weights]
    slots = [{} for _ in ws]
    for t, step_grads in enumerate(grads, start=1):
        ws = [
            ref(w, g.astype(np.float64), s, t, **kwargs) for w, g, s in zip(ws, step_grads, slots)
        ]
    return ws


CASES = [
    (optimizers.SGD, ref_sgd, {}),
    (optimizers.SGD, ref_sgd, {"learning_rate": 0.1, "momentum": 0.9}),
    (optimizers.SGD, ref_sgd, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    (optimizers.Adam, ref_adam, {}),
    (optimizers.Adam, ref_adam, {"learning_rate": 0.1, "beta_1": 0.5, "epsilon": 1e-3}),
    (optimizers.Adam, ref_adam, {"learning_rate": 0.1, "amsgrad": True}),
    (optimizers.Adam, ref_adam, {"learning_rate": 0.1, "amsgrad": True, "beta_2": 0.5}),
    (optimizers.AdamW, ref_adamw, {}),
    (optimizers.AdamW, ref_adamw, {"learning_rate": 0.1, "weight_decay": 0.5}),
    (optimizers.RMSprop, ref_rmsprop, {}),
    (optimizers.RMSprop, ref_rmsprop, {"learning_rate": 0.1, "momentum": 0.5}),
    (optimizers.RMSprop, ref_rmsprop, {"learning_rate": 0.1, "momentum": 0.5, "centered": True}),
    (optimizers.Adagrad, ref_adagrad, {}),
    (optimizers.Adagrad, ref_adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 1.0}),
    (optimizers.Adadelta, ref_adadelta, {}),
    (optimizers.Adadelta, ref_adadelta, {"learning_rate": 1.0, "rho": 0.5}),
    (optimizers.Adamax, ref_adamax, {}),
    (optimizers.Adamax, ref_adamax, {"learning_rate": 0.1}),
    (optimizers.Nadam, ref_nadam, {}),
    (optimizers.Nadam, ref_nadam, {"learning_rate": 0.1}),
    (optimizers.Lion, ref_lion, {}),
    (optimizers.Lion, ref_lion, {"learning_rate": 0.1, "beta_1": 0.5}),
    (optimizers.Lion, ref_lion, {"learning_rate": 0.1, "beta_1": 0.99, "beta_2": 0.5}),
]


@pytest.mark.parametrize("cls, ref, kwargs", CASES, ids=[f"{c.__name__}-{k}" for c, _, k in CASES])
def test_matches_reference_formula(cls, ref, kwargs):
    weights, grads = _problem()
    ours = run_ours(cls(**kwargs), weights, grads)
    expected = run_reference(ref, weights, grads, **kwargs)
    for w0, got, want in zip(weights, ours, expected):
        assert got.dtype == F32
        # Compare the total update, so a small formula error can't hide behind |w| ~ 1.
        np.testing.assert_allclose(got - w0, want - w0, rtol=2e-4, atol=1e-6)


# --- hand-computed values ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "nesterov, expected",
    [(False, [0.9, 0.71, 0.439]), (True, [0.81, 0.539, 0.1951])],
)
def test_sgd_momentum_hand_values(nesterov, expected):
    # w=1, g=1, lr=0.1, momentum 0.9: m = -0.1, -0.19, -0.271.
    w = numkeras.Variable([1.0])
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=nesterov)
    got = []
    for _ in range(3):
        opt.apply_gradients([(np.ones(1, F32), w)])
        got.append(float(w.numpy()[0]))
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_adam_epsilon_is_outside_the_bias_correction():
    # With g = 1e-6 the epsilon placement dominates: Keras gives
    # alpha * m / (sqrt(v) + eps) = sqrt(1e-3)/0.1 * 1e-7 / (sqrt(1e-15) + 1e-7) = 0.2402531,
    # where torch.optim.Adam's m_hat / (sqrt(v_hat) + eps) would give 1e-6 / 1.1e-6 = 0.909.
    w = numkeras.Variable([0.0])
    optimizers.Adam(learning_rate=1.0).apply_gradients([(np.array([1e-6], F32), w)])
    np.testing.assert_allclose(w.numpy(), [-0.2402531], rtol=1e-5)


def test_adam_first_step_moves_by_about_lr():
    w = numkeras.Variable([1.0, -1.0])
    optimizers.Adam().apply_gradients([(np.array([3.0, -0.5], F32), w)])
    # lr * |g| sqrt(1e-3) / (|g| sqrt(1e-3) + 1e-7) per element.
    expected = [
        1 - 0.001 * 3 / (3 + 1e-7 / math.sqrt(1e-3)),
        -1 + 0.001 * 0.5 / (0.5 + 1e-7 / math.sqrt(1e-3)),
    ]
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-7)


def test_lion_hand_values():
    # beta_1 0.9, beta_2 0.1, lr 1, w0 0, g = 1 then -1:
    # step 1: sign(0.1) = 1 -> w = -1, m = 0.9;  step 2: sign(0.9 * 0.9 - 0.1) = 1 -> w = -2,
    # m = 0.1 * 0.9 - 0.9 = -0.81. (Using beta_2 in the sign would give sign(0.09 - 0.1) = -1.)
    w = numkeras.Variable([0.0])
    opt = optimizers.Lion(learning_rate=1.0, beta_2=0.1)
    for g in (1.0, -1.0):
        opt.apply_gradients([(np.array([g], F32), w)])
    assert w.numpy()[0] == -2.0
    assert opt.variables[2].numpy()[0] == pytest.approx(-0.81)


# --- clipping, weight decay, loss scaling -------------------------------------------------------
def _one_sgd_step(grads, **kwargs):
    variables = [numkeras.Variable(np.zeros(np.shape(g), F32)) for g in grads]
    optimizers.SGD(learning_rate=1.0, **kwargs).apply_gradients(zip(grads, variables))
    return [-v.numpy() for v in variables]  # with lr 1 and w0 0, -w is the used gradient


def test_clipnorm_is_per_variable():
    g1, g2 = np.array([3.0, 4.0], F32), np.array([0.3, 0.4], F32)
    used = _one_sgd_step([g1, g2], clipnorm=1.0)
    np.testing.assert_allclose(used[0], [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(used[1], [0.3, 0.4], rtol=1e-6)  # already under the norm
    np.testing.assert_array_equal(g1, [3.0, 4.0])  # the caller's gradient is untouched


def test_global_clipnorm_scales_all_gradients_together():
    g1, g2 = np.array([3.0, 4.0], F32), np.array([0.0, 12.0, 0.0], F32)  # global norm 13
    used = _one_sgd_step([g1, g2], global_clipnorm=1.0)
    np.testing.assert_allclose(used[0], g1 / 13, rtol=1e-6)
    np.testing.assert_allclose(used[1], g2 / 13, rtol=1e-6)
    unclipped = _one_sgd_step([g1, g2], global_clipnorm=100.0)
    np.testing.assert_allclose(unclipped[1], g2, rtol=1e-6)


def test_global_clipnorm_of_zero_gradients_is_zero_not_nan():
    used = _one_sgd_step([np.zeros(3, F32)], global_clipnorm=1.0)
    np.testing.assert_array_equal(used[0], 0.0)


def test_clipvalue():
    used = _one_sgd_step([np.array([-2.0, 0.2, 3.0], F32)], clipvalue=0.5)
    np.testing.assert_allclose(used[0], [-0.5, 0.2, 0.5])


def test_only_one_clip_argument():
    with pytest.raises(ValueError, match="Only one of `clipnorm`"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)


def test_weight_decay_is_applied_before_the_update():
    w = numkeras.Variable([2.0])
    optimizers.SGD(learning_rate=0.1, weight_decay=0.5).apply_gradients([(np.ones(1, F32), w)])
    np.testing.assert_allclose(w.numpy(), [2.0 - 2.0 * 0.5 * 0.1 - 0.1], rtol=1e-6)


def test_exclude_from_weight_decay_by_name_and_by_variable():
    kernel = numkeras.Variable([2.0], name="kernel")
    bias = numkeras.Variable([2.0], name="bias")
    other = numkeras.Variable([2.0], name="other")
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    opt.apply_gradients([(np.zeros(1, F32), v) for v in (kernel, bias, other)])
    np.testing.assert_allclose(
        [kernel.numpy()[0], bias.numpy()[0], other.numpy()[0]], [1.9, 2.0, 2.0], rtol=1e-6
    )
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


def test_adamw_requires_weight_decay():
    assert optimizers.AdamW().weight_decay == 0.004
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)


def test_loss_scale_factor_divides_gradients():
    opt = optimizers.SGD(learning_rate=1.0, loss_scale_factor=4.0)
    assert opt.scale_loss(2.0) == 8.0
    w = numkeras.Variable([0.0])
    opt.apply_gradients([(np.array([8.0], F32), w)])
    np.testing.assert_allclose(w.numpy(), [-2.0])


def test_variable_constraint_is_applied_after_the_update():
    w = numkeras.Variable([0.5, 2.0])
    w.constraint = lambda v: np.clip(np.asarray(v), 0.0, None)  # as Layer.add_weight sets it
    optimizers.SGD(learning_rate=1.0).apply_gradients([(np.ones(2, F32), w)])
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0])


# --- gradient accumulation and EMA -----------------------------------------------------------
def test_gradient_accumulation_applies_the_mean_every_n_calls():
    weights, grads = _problem(steps=4)
    accumulated = run_ours(
        optimizers.Adam(learning_rate=0.1, gradient_accumulation_steps=2), weights, grads
    )
    means = [[(a + b) / 2 for a, b in zip(grads[i], grads[i + 1])] for i in (0, 2)]
    plain = run_ours(optimizers.Adam(learning_rate=0.1), weights, means)
    for a, b in zip(accumulated, plain):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_gradient_accumulation_leaves_weights_alone_between_updates():
    opt = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=3)
    w = numkeras.Variable([0.0])
    for expected in (0.0, 0.0, -2.0):
        opt.apply_gradients([(np.array([2.0], F32), w)])
        assert w.numpy()[0] == expected
    assert int(opt.iterations) == 1 and int(opt.variables[0].numpy()) == 3


def test_ema_tracks_and_overwrites():
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    w = numkeras.Variable([0.0])
    for _ in range(3):
        opt.apply_gradients([(np.array([-1.0], F32), w)])  # w = 1, 2, 3
    # The first step copies (1), then 0.5 * 1 + 0.5 * 2 = 1.5, then 0.5 * 1.5 + 0.5 * 3 = 2.25.
    average = opt.variables[2]
    assert average.name == "variable_average"
    np.testing.assert_allclose(average.numpy(), [2.25])
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [2.25])


# --- variables, names, dtypes ---------------------------------------------------------------
def test_adam_variables_order_and_count():
    shapes = [(3, 3, 1, 4), (4,), (10, 2)]
    variables = [
        numkeras.Variable(np.zeros(s, F32), name=n)
        for s, n in zip(shapes, ["kernel", "bias", "dense"])
    ]
    variables[0].path = "sequential/conv2d/kernel"
    opt = optimizers.Adam(name="adam")
    opt.build(variables)
    assert len(opt.variables) == 2 + 2 * 3
    assert [v.name for v in opt.variables] == [
        "iteration",
        "learning_rate",
        "sequential_conv2d_kernel_momentum",
        "sequential_conv2d_kernel_velocity",
        "bias_momentum",
        "bias_velocity",
        "dense_momentum",
        "dense_velocity",
    ]
    assert opt.variables[0].path == "adam/iteration"
    assert opt.variables[0].dtype == "int64" and opt.variables[1].dtype == "float32"
    assert [v.shape for v in opt.variables[2:]] == [s for s in shapes for _ in range(2)]
    assert not any(v.trainable for v in opt.variables)


def test_rmsprop_slots_are_grouped_per_kind_as_in_keras():
    variables = [numkeras.Variable(np.zeros(2, F32), name=n) for n in ("a", "b")]
    opt = optimizers.RMSprop(momentum=0.5, centered=True)
    opt.build(variables)
    assert [v.name for v in opt.variables[2:]] == [
        "a_velocity",
        "b_velocity",
        "a_momentum",
        "b_momentum",
        "a_average_gradient",
        "b_average_gradient",
    ]


@pytest.mark.parametrize(
    "cls, n_slots",
    [
        (optimizers.SGD, 0),
        (optimizers.Adagrad, 1),
        (optimizers.Lion, 1),
        (optimizers.Adadelta, 2),
        (optimizers.Adamax, 2),
        (optimizers.RMSprop, 1),
    ],
)
def test_slot_counts(cls, n_slots):
    opt = cls()
    opt.build([numkeras.Variable(np.zeros(3, F32)) for _ in range(2)])
    assert len(opt.variables) == 2 + n_slots * 2


def test_nadam_stores_the_momentum_product_last():
    opt = optimizers.Nadam()
    opt.build([numkeras.Variable(np.zeros(3, F32))])
    assert len(opt.variables) == 5 and opt.variables[-1].shape == ()


def test_adagrad_accumulator_starts_at_initial_value():
    opt = optimizers.Adagrad(initial_accumulator_value=0.25)
    opt.build([numkeras.Variable(np.zeros(3, F32))])
    np.testing.assert_array_equal(opt.variables[2].numpy(), [0.25] * 3)


@pytest.mark.parametrize(
    "cls, prefix",
    [
        (optimizers.Adam, "adam"),
        (optimizers.SGD, "sgd"),
        (optimizers.RMSprop, "rm_sprop"),
        (optimizers.AdamW, "adam_w"),
        (optimizers.Adagrad, "adagrad"),
        (optimizers.Nadam, "nadam"),
    ],
)
def test_default_names_follow_keras_auto_name(cls, prefix):
    first, second = cls().name, cls().name
    assert re.fullmatch(rf"{prefix}(_\d+)?", first)
    assert first != second and second.startswith(prefix + "_")


def test_updates_are_in_place_and_stay_float32():
    weights, grads = _problem()
    variables = [numkeras.Variable(w) for w in weights]
    arrays = [v.data for v in variables]
    opt = optimizers.Adam()
    # A float64 array and a Tensor as gradients: both are used as float32.
    opt.apply_gradients(
        [
            (grads[0][0].astype(np.float64), variables[0]),
            (numkeras.Tensor(grads[0][1]), variables[1]),
        ]
    )
    for step_grads in grads[1:]:
        opt.apply_gradients(zip(step_grads, variables))
    assert all(v.data is a for v, a in zip(variables, arrays))
    assert all(v.dtype == "float32" for v in variables + opt.variables[1:])
    assert int(opt.iterations) == 3 and opt.iterations.dtype == "int64"


def test_apply_with_built_variables_and_none_gradients():
    a, b = numkeras.Variable([1.0], name="a"), numkeras.Variable([1.0], name="b")
    opt = optimizers.SGD(learning_rate=0.5)
    opt.build([a, b])
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply([np.ones(1, F32), None])
    assert a.numpy()[0] == 0.5 and b.numpy()[0] == 1.0
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply([None, None])
    with pytest.raises(ValueError, match="1 gradients"):
        opt.apply([np.ones(1, F32)])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(np.ones(1, F32), numkeras.Variable([1.0]))])
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        opt.apply_gradients([(np.ones(2, F32), a)])
    with pytest.raises(ValueError, match="must already be built"):
        optimizers.SGD().apply([np.ones(1, F32)])


def test_constructor_arguments():
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adam(bogus=1)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=2.0)
    with pytest.warns(UserWarning, match="decay"):
        optimizers.Adam(decay=0.1)
    with pytest.warns(UserWarning, match="`lr` is deprecated"):
        assert float(optimizers.Adadelta(lr=1.0).learning_rate) == 1.0


# --- learning rate ----------------------------------------------------------------------------
def test_learning_rate_is_settable():
    opt = optimizers.SGD(learning_rate=0.1)
    assert float(opt.learning_rate) == pytest.approx(0.1)
    opt.learning_rate = 0.5
    assert float(opt.learning_rate) == 0.5 and opt.get_config()["learning_rate"] == 0.5
    w = numkeras.Variable([0.0])
    opt.apply_gradients([(np.ones(1, F32), w)])
    assert w.numpy()[0] == -0.5


def test_learning_rate_schedule_is_evaluated_at_the_iteration():
    opt = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 1, 0.5))
    assert [v.name for v in opt.variables] == ["iteration"]  # no learning_rate variable
    w = numkeras.Variable([0.0])
    steps = []
    for _ in range(3):
        before = w.numpy()[0]
        opt.apply_gradients([(np.ones(1, F32), w)])
        steps.append(before - w.numpy()[0])
    np.testing.assert_allclose(steps, [0.1, 0.05, 0.025], rtol=1e-6)
    assert float(opt.learning_rate) == pytest.approx(0.0125)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1


@pytest.mark.parametrize("initial", [0.001, 0.0])  # 0.0 equals the iteration's value
def test_setting_a_schedule_drops_the_learning_rate_variable(initial):
    opt = optimizers.Adam(learning_rate=initial)
    opt.learning_rate = schedules.InverseTimeDecay(0.1, 1, 1.0)
    assert [v.name for v in opt.variables] == ["iteration"]
    assert float(opt.learning_rate) == pytest.approx(0.1)


def test_callable_learning_rate():
    opt = optimizers.SGD(learning_rate=lambda: 0.25, momentum=0.5)
    w = numkeras.Variable([0.0], name="w")
    opt.apply_gradients([(np.ones(1, F32), w)])
    assert w.numpy()[0] == -0.25
    opt.learning_rate = 0.5  # back to a variable, in Keras's position
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate", "w_momentum"]


# --- schedules --------------------------------------------------------------------------------
STEPS = np.array([0, 1, 5, 10, 11, 25, 100])


@pytest.mark.parametrize(
    "schedule, closed_form",
    [
        (schedules.ExponentialDecay(0.1, 10, 0.5), lambda s: 0.1 * 0.5 ** (s / 10)),
        (
            schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
            lambda s: 0.1 * 0.5 ** np.floor(s / 10),
        ),
        (schedules.InverseTimeDecay(0.1, 10, 0.5), lambda s: 0.1 / (1 + 0.5 * s / 10)),
        (
            schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True),
            lambda s: 0.1 / (1 + 0.5 * np.floor(s / 10)),
        ),
        (
            schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0),
            lambda s: 0.09 * (1 - np.minimum(s, 10) / 10) ** 2 + 0.01,
        ),
        (
            schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, cycle=True),
            lambda s: 0.09 * (1 - s / (10 * np.maximum(np.ceil(s / 10), 1))) + 0.01,
        ),
        (
            schedules.CosineDecay(0.1, 10, alpha=0.1),
            lambda s: 0.1 * (0.9 * 0.5 * (1 + np.cos(np.pi * np.minimum(s, 10) / 10)) + 0.1),
        ),
        (
            schedules.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=5),
            lambda s: np.where(
                s < 5, 0.1 * s / 5, 0.05 * (1 + np.cos(np.pi * np.clip(s - 5, 0, 10) / 10))
            ),
        ),
        (
            schedules.PiecewiseConstantDecay([1, 10], [1.0, 0.5, 0.1]),
            lambda s: np.where(s <= 1, 1.0, np.where(s <= 10, 0.5, 0.1)),
        ),
        (
            schedules.CosineDecayRestarts(0.1, 10, t_mul=1.0, m_mul=0.5),
            lambda s: 0.1 * 0.5 ** np.floor(s / 10) * 0.5 * (1 + np.cos(np.pi * (s % 10) / 10)),
        ),
        # t_mul=2: periods [0, 10), [10, 30), [30, 70), [70, 150).
        (
            schedules.CosineDecayRestarts(0.1, 10),
            lambda s: (
                0.05
                * (
                    1
                    + np.cos(
                        np.pi
                        * np.select(
                            [s < 10, s < 30, s < 70],
                            [s / 10, (s - 10) / 20, (s - 30) / 40],
                            (s - 70) / 80,
                        )
                    )
                )
            ),
        ),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, schedules.LearningRateSchedule) else "",
)
def test_schedule_matches_closed_form(schedule, closed_form):
    expected = closed_form(STEPS.astype(np.float64))
    got = [schedule(int(s)) for s in STEPS]
    assert all(isinstance(v, np.float32) for v in got)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(schedule(STEPS), expected, rtol=1e-6, atol=1e-9)  # vectorized
    at_five = schedule(numkeras.Variable(np.int64(5)))  # what an optimizer passes
    np.testing.assert_allclose(at_five, closed_form(5.0), rtol=1e-6)
    # Round trip through the Keras-format dict.
    config = schedules.serialize(schedule)
    assert config["module"] == "keras.optimizers.schedules" and config["registered_name"] is None
    again = schedules.deserialize(config)
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()


def test_schedule_validation():
    with pytest.raises(ValueError, match="decay_steps` must be > 0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="1 less than"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0])
    with pytest.raises(ValueError, match="Unknown learning rate schedule"):
        schedules.deserialize({"class_name": "Nope", "config": {}})


# --- get / serialize / deserialize ------------------------------------------------------------
KERAS_ADAM = {  # compile_config["optimizer"] of a model saved by Keras 3.15.1
    "module": "keras.optimizers",
    "class_name": "Adam",
    "config": {
        "name": "adam",
        "learning_rate": 0.0010000000474974513,
        "weight_decay": None,
        "clipnorm": None,
        "global_clipnorm": None,
        "clipvalue": None,
        "use_ema": False,
        "ema_momentum": 0.99,
        "ema_overwrite_frequency": None,
        "loss_scale_factor": None,
        "gradient_accumulation_steps": None,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-07,
        "amsgrad": False,
    },
    "registered_name": None,
}


def test_serialize_matches_keras_file():
    assert optimizers.serialize(optimizers.Adam(name="adam")) == KERAS_ADAM
    opt = optimizers.deserialize(copy.deepcopy(KERAS_ADAM))
    assert type(opt) is optimizers.Adam and opt.name == "adam"


@pytest.mark.parametrize("cls", optimizers.ALL_OBJECTS, ids=lambda c: c.__name__)
def test_round_trip(cls):
    opt = cls(learning_rate=0.05, clipnorm=2.0)
    config = optimizers.serialize(opt)
    for identifier in (config, {"class_name": cls.__name__.upper(), "config": config["config"]}):
        again = optimizers.get(identifier)
        assert type(again) is cls and again.get_config() == opt.get_config()
    assert type(optimizers.get(cls.__name__.lower())) is cls
    assert optimizers.get(opt) is opt


def test_round_trip_with_schedule():
    opt = optimizers.SGD(learning_rate=schedules.CosineDecay(0.1, 100), momentum=0.9)
    config = optimizers.serialize(opt)
    assert config["config"]["learning_rate"]["class_name"] == "CosineDecay"
    again = optimizers.deserialize(config)
    assert isinstance(again._learning_rate, schedules.CosineDecay)
    assert again.get_config() == opt.get_config()


def test_get_names_and_errors():
    assert isinstance(optimizers.get("RMSprop"), optimizers.RMSprop)
    assert optimizers.get(None) is None
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adamm'\. Valid names are: .*adam"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Could not interpret"):
        optimizers.get(42)


def test_custom_optimizer_through_custom_objects():
    class Halver(optimizers.SGD):
        pass

    config = optimizers.serialize(Halver())
    assert config["registered_name"] == "Halver"
    assert type(optimizers.deserialize(config, custom_objects={"Halver": Halver})) is Halver


# --- state: save/load, pickle ------------------------------------------------------------------
def test_save_and_load_own_variables():
    weights, grads = _problem()
    trained = optimizers.Adam()
    run_ours(trained, weights, grads)
    store = {}
    trained.save_own_variables(store)
    assert sorted(store, key=int) == [str(i) for i in range(6)]
    fresh = optimizers.Adam()
    fresh.build([numkeras.Variable(w) for w in weights])
    fresh.load_own_variables(store)
    for a, b in zip(trained.variables, fresh.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        optimizers.Adam().load_own_variables(store)


def test_set_weights():
    opt = optimizers.SGD(momentum=0.9)
    opt.build([numkeras.Variable(np.zeros(2, F32))])
    opt.set_weights([np.int64(7), np.float32(0.5), np.ones(2, F32)])
    assert int(opt.iterations) == 7 and float(opt.learning_rate) == 0.5
    with pytest.raises(ValueError, match="shape"):
        opt.set_weights([np.int64(7), np.float32(0.5), np.ones(3, F32)])


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_training_continues_after_a_copy(how):
    weights, grads = _problem(steps=4)
    variables = [numkeras.Variable(w) for w in weights]
    opt = optimizers.Adam(learning_rate=0.1)
    opt.apply_gradients(zip(grads[0], variables))
    if how == "deepcopy":
        variables_2, opt_2 = copy.deepcopy((variables, opt))
    else:
        variables_2, opt_2 = pickle.loads(pickle.dumps((variables, opt)))
    for step_grads in grads[1:]:
        opt.apply_gradients(zip(step_grads, variables))
        opt_2.apply_gradients(zip(step_grads, variables_2))
    for a, b in zip(variables, variables_2):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# --- real Keras, when installed ----------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras's own NumPy 2 warnings
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Adam", {}),
        ("Adam", {"amsgrad": True, "clipnorm": 0.5}),
        ("SGD", {"momentum": 0.9}),
        ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
        ("RMSprop", {"momentum": 0.5, "centered": True}),
        ("AdamW", {"global_clipnorm": 1.0}),
        ("Adadelta", {"learning_rate": 1.0}),
        ("Nadam", {}),
        ("Lion", {}),
    ],
)
def test_against_keras(keras, name, kwargs):
    weights, grads = _problem(steps=4, seed=1)
    theirs = [keras.Variable(w, name=f"w{i}") for i, w in enumerate(weights)]
    their_opt = getattr(keras.optimizers, name)(**kwargs)
    for step_grads in grads:
        their_opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in step_grads], theirs))
    our_opt = getattr(optimizers, name)(**kwargs)
    ours = run_ours(our_opt, weights, grads)
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), b, rtol=1e-6, atol=3e-7)
    assert len(their_opt.variables) == len(our_opt.variables)
    for a, b in zip(their_opt.variables, our_opt.variables):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), b.numpy(), rtol=1e-5, atol=3e-7)
    their_config, our_config = their_opt.get_config(), our_opt.get_config()
    their_config.pop("name"), our_config.pop("name")
    assert our_config == their_config
