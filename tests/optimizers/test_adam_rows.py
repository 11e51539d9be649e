"""An embedding's gradient as its looked-up rows (`RowGradient`, from `gather_rows`), and Adam's
update by rows: the bits of the dense gradient and the dense update, on any thread count."""

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from numkeras.engine import autodiff
from numkeras.engine.autodiff import RowGradient
from numkeras.ops.layer_ops.embedding_lookup import gather_rows
from numkeras.optimizers import adam
from tests.engine.gradcheck import check_grad, compare_op

INDICES = np.array([[3, 0, 3], [7, 3, 1]])
STEP = adam.Adam._backend_update_step


def test_gather_rows_gradcheck():
    check_grad(lambda t: gather_rows(t, INDICES), np.linspace(-1, 1, 40).reshape(8, 5))


def test_gather_rows_agrees_with_torch(torch):
    compare_op(
        [(8, 5)],
        lambda t: torch.nn.functional.embedding(torch.tensor(INDICES), t),
        lambda t: gather_rows(t, INDICES),
    )


def _gradients(lookup, rows, indices=INDICES, extra=False):
    rng = np.random.default_rng(0)
    table = numkeras.Variable(rng.standard_normal((50, 6)).astype("float32"))
    seed = rng.standard_normal(indices.shape + (6,)).astype("float32")
    with autodiff.enable_grad():
        loss = ops.sum(lookup(table, indices) * seed)
        if extra:  # a second path to the table (a tied output layer): the sum is dense
            loss = loss + ops.sum(ops.matmul(seed.reshape(-1, 6)[:4], ops.transpose(table)))
    return autodiff.gradients(loss, [table], rows=rows)[0]


def test_row_gradient_is_the_gradient_of_take_bit_for_bit():
    indices = np.random.default_rng(1).integers(0, 50, (16, 9))
    want = _gradients(lambda t, i: ops.take(t, i, axis=0), False, indices)
    got = _gradients(gather_rows, True, indices)
    assert isinstance(got, RowGradient)
    np.testing.assert_array_equal(got.rows, np.unique(indices))
    np.testing.assert_array_equal(got.dense(), want)
    # without `rows` (GradientTape), and with a second path to the table: an array
    np.testing.assert_array_equal(_gradients(gather_rows, False, indices), want)
    dense_sum = _gradients(gather_rows, True, indices, extra=True)
    assert isinstance(dense_sum, np.ndarray)
    take = _gradients(lambda t, i: ops.take(t, i, axis=0), False, indices, extra=True)
    np.testing.assert_array_equal(dense_sum, take)


def _steps(make, by_rows, n_rows=1000, steps=3):
    """Three updates of a (n_rows, 300) table whose gradients are RowGradients of a few rows,
    given as they are (`by_rows`) or dense."""
    rng = np.random.default_rng(2)
    table = numkeras.Variable(rng.standard_normal((n_rows, 300)).astype("float32"))
    opt = make()
    for _ in range(steps):
        rows = np.unique(rng.integers(0, n_rows, n_rows // 10))
        g = RowGradient(rows, rng.standard_normal((rows.size, 300)).astype("float32"), table.shape)
        opt.apply_gradients([(g if by_rows else g.dense(), table)])
    return [table.numpy()] + [v.numpy() for v in opt.variables[2:]]


@pytest.mark.parametrize(
    "make",
    [
        lambda: numkeras.optimizers.Adam(0.01),
        lambda: numkeras.optimizers.Adam(0.01, amsgrad=True),
        lambda: numkeras.optimizers.AdamW(0.01, weight_decay=0.1),
    ],
)
def test_adam_by_rows_is_the_dense_update_bit_for_bit(
    make, same_bits_on_thread_counts, monkeypatch
):
    ran = []
    update = adam._adam_rows_update
    monkeypatch.setattr(adam, "_adam_rows_update", lambda *a: (ran.append(1), update(*a)))
    by_rows = same_bits_on_thread_counts(lambda: _steps(make, True))
    assert ran  # the update by rows ran (in chunks on several threads)
    for got, want in zip(by_rows, _steps(make, False)):
        np.testing.assert_array_equal(got, want)


def test_many_rows_or_a_transformed_gradient_update_densely(monkeypatch):
    monkeypatch.setattr(adam, "_adam_rows_update", None)  # fails if called
    # a third of the rows looked up: past ROWS_FRACTION
    monkeypatch.setattr(adam, "ROWS_FRACTION", 0.05)
    assert len(_steps(lambda: numkeras.optimizers.Adam(0.01), True)) == 3
    monkeypatch.setattr(adam, "ROWS_FRACTION", 1.0)
    for make in (
        lambda: numkeras.optimizers.Adam(0.01, clipnorm=1.0),
        lambda: numkeras.optimizers.SGD(0.01, momentum=0.9),
    ):
        assert not make()._updates_by_rows()
        got = _steps(make, True)
        for a, b in zip(got, _steps(make, False)):
            np.testing.assert_array_equal(a, b)


def _fit(monkeypatch, by_rows):
    if not by_rows:
        monkeypatch.setattr(adam.Adam, "_updates_by_rows", lambda self: False)
    given = []
    monkeypatch.setattr(
        adam.Adam,
        "_backend_update_step",
        lambda self, grads, *a: (given.extend(map(type, grads)), STEP(self, grads, *a)),
    )
    numkeras.utils.set_random_seed(0)
    model = numkeras.Sequential(
        [numkeras.Input((5,), dtype="int32"), layers.Embedding(1000, 8), layers.Flatten()]
        + [layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(3).integers(0, 1000, (16, 5))
    model.fit(x, np.ones((16, 1)), batch_size=4, epochs=2, verbose=0, shuffle=False)
    return model.get_weights(), given


def test_fit_updates_an_embedding_by_rows_with_the_dense_bits(monkeypatch):
    by_rows, given = _fit(monkeypatch, True)
    assert RowGradient in given
    dense, given = _fit(monkeypatch, False)
    assert RowGradient not in given
    for a, b in zip(by_rows, dense):
        np.testing.assert_array_equal(a, b)
