"""The supervised part of a topic scheme: multinomial logistic regression over embedding vectors.

Plain numpy, full-batch and deterministic (zero start, fixed number of Adam steps), so the same
examples always give the same weights and the same scheme version. Classes are weighted to count
equally: a desk's scheme often has one label with hundreds of examples and another with ten, and
an unweighted model would learn to say the big label. Training a 384-dimensional model on a few
thousand examples takes a second or two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

# Unit-length embedding vectors have components around 1/sqrt(384) ~ 0.05; inputs are scaled up so
# that weights of order one give confident logits and one learning rate suits every model size.
INPUT_SCALE = 20.0
# L2 penalty on the weights: the examples of a scheme are few next to the 384 dimensions.
DEFAULT_L2 = 1e-3
DEFAULT_STEPS = 400
_LEARNING_RATE = 0.05
_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8


@dataclass(frozen=True, slots=True)
class LogisticHead:
    """`weights` (dim x classes) and `bias` (classes) of a softmax classifier over scaled vectors."""

    weights: FloatArray
    bias: FloatArray

    def probabilities(self, vectors: FloatArray) -> FloatArray:
        return softmax(INPUT_SCALE * vectors @ self.weights + self.bias)


def softmax(logits: npt.NDArray[np.floating]) -> FloatArray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)


def balanced_sample_weights(labels: IntArray, n_classes: int) -> npt.NDArray[np.float64]:
    """Weights that give every class the same total weight, normalised to sum to one."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    per_class = np.divide(1.0, counts, out=np.zeros_like(counts), where=counts > 0)
    weights = per_class[labels]
    return weights / weights.sum()


def fit_logistic(
    vectors: FloatArray,
    labels: IntArray,
    n_classes: int,
    l2: float = DEFAULT_L2,
    steps: int = DEFAULT_STEPS,
) -> LogisticHead:
    """Minimise class-balanced cross-entropy plus `l2`/2 * |W|^2 with Adam from zero weights."""
    x = INPUT_SCALE * vectors.astype(np.float64)
    targets = np.eye(n_classes)[labels]
    sample_weights = balanced_sample_weights(labels, n_classes)[:, None]
    params = [np.zeros((x.shape[1], n_classes)), np.zeros(n_classes)]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    for step in range(1, steps + 1):
        error = (softmax(x @ params[0] + params[1]).astype(np.float64) - targets) * sample_weights
        gradients = [x.T @ error + l2 * params[0], error.sum(axis=0)]
        for i, gradient in enumerate(gradients):
            first[i] = _BETA1 * first[i] + (1 - _BETA1) * gradient
            second[i] = _BETA2 * second[i] + (1 - _BETA2) * gradient * gradient
            corrected_first = first[i] / (1 - _BETA1**step)
            corrected_second = second[i] / (1 - _BETA2**step)
            params[i] -= _LEARNING_RATE * corrected_first / (np.sqrt(corrected_second) + _EPS)
    return LogisticHead(weights=params[0].astype(np.float32), bias=params[1].astype(np.float32))
