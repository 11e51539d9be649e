"""The CTC op: float64 gradient check, torch's ctc_loss, uneven lengths, impossible labels."""

import numpy as np

from numkeras.ops.layer_ops.ctc import ctc_loss
from tests.engine.gradcheck import check_grad

TARGET = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]])
TARGET_LENGTH = np.array([3, 2, 1])
OUTPUT_LENGTH = np.array([7, 5, 6])


def test_gradient_float64():
    logits = np.random.default_rng(0).normal(size=(3, 7, 4))
    check_grad(lambda x: ctc_loss(TARGET, x, TARGET_LENGTH, OUTPUT_LENGTH), logits)


def test_matches_torch_with_uneven_lengths(torch):
    logits = np.random.default_rng(1).normal(size=(3, 7, 4)).astype("float32")
    x = torch.tensor(logits, requires_grad=True)
    log_probs = torch.log_softmax(x, -1).transpose(0, 1)
    expected = torch.nn.functional.ctc_loss(
        log_probs,
        torch.tensor(TARGET),
        torch.tensor(OUTPUT_LENGTH),
        torch.tensor(TARGET_LENGTH),
        blank=0,
        reduction="none",
    )
    r = torch.tensor([0.5, -1.0, 2.0])
    (expected * r).sum().backward()
    from numkeras import GradientTape, Variable, ops

    v = Variable(logits)
    with GradientTape() as tape:
        loss = ctc_loss(TARGET, v, TARGET_LENGTH, OUTPUT_LENGTH)
        total = ops.sum(loss * r.numpy())
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(total, v), x.grad.numpy(), atol=1e-6)


def test_impossible_alignment_is_inf_with_zero_gradient():
    from numkeras import GradientTape, Variable, ops

    v = Variable(np.zeros((1, 2, 3), "float32"))  # 2 frames cannot emit "1 1" (needs 3)
    with GradientTape() as tape:
        loss = ctc_loss([[1, 1]], v, [2], [2])
        total = ops.sum(loss)
    assert np.isinf(loss.numpy()[0])
    assert not np.any(tape.gradient(total, v))
