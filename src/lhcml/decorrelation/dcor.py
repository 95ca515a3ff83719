"""Weighted distance correlation (Szekely et al. 2007), the DisCo penalty.

For samples (x_i, y_i) with weights w_i (normalised here to mean 1), with
a_ij = |x_i - x_j|, A = a double-centred with weighted means (likewise B from y):

    dCov^2(x, y) = <A_ij B_ij>_w,    dCor^2 = dCov^2(x, y) / sqrt(dCov^2(x, x) dCov^2(y, y))

where <.>_w averages over i and j with weights w_i w_j. dCor^2 is 0 if and only if x and
y are independent (in the large-sample limit) and 1 for an exact linear relation; unlike
the Pearson correlation it also sees non-monotonic dependence. This is the quantity
``distance_corr(..., power=1)`` of Kasieczka & Shih (2020), which DisCo adds to the
classification loss. Jets with zero weight (signal jets in DisCo) drop out exactly.
Cost and memory grow as n^2 (one n x n matrix per term).
"""

from __future__ import annotations

import numpy as np


def distance_correlation(x, y, weight=None) -> float:
    """dCor^2 of two 1-d samples with optional weights (NumPy, float64)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    w = np.ones_like(x) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
    if not (len(x) == len(y) == len(w)):
        raise ValueError(f"lengths differ: {len(x)}, {len(y)}, {len(w)}")
    if w.sum() <= 0:
        raise ValueError("weights sum to zero")
    w = w / w.sum()

    def centred(v):
        d = np.abs(v[:, None] - v[None, :])
        row = d @ w
        return d - row[:, None] - row[None, :] + row @ w

    a, b = centred(x), centred(y)

    def dcov2(p, q):
        return float(w @ (p * q) @ w)

    denom = np.sqrt(dcov2(a, a) * dcov2(b, b))
    return dcov2(a, b) / denom if denom > 0 else 0.0


def tf_distance_correlation(tf, x, y, weight):
    """dCor^2 of two 1-d tensors with weights (TensorFlow, differentiable in x and y)."""
    x = tf.reshape(tf.cast(x, tf.float32), [-1])
    y = tf.reshape(tf.cast(y, tf.float32), [-1])
    w = tf.reshape(tf.cast(weight, tf.float32), [-1])
    w = w / tf.maximum(tf.reduce_sum(w), 1e-12)

    def centred(v):
        d = tf.abs(v[:, None] - v[None, :])
        row = tf.linalg.matvec(d, w)
        return d - row[:, None] - row[None, :] + tf.reduce_sum(row * w)

    a, b = centred(x), centred(y)

    def dcov2(p, q):
        return tf.reduce_sum(tf.linalg.matvec(p * q, w) * w)

    return dcov2(a, b) / tf.sqrt(tf.maximum(dcov2(a, a) * dcov2(b, b), 1e-20))
