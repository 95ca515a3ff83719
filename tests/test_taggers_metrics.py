"""Tagger metrics on hand-made scores with known answers (weighted ROC, AUC, R50)."""

import math

import jsonschema
import numpy as np
import pytest

from lhcml.taggers.metrics import (
    METRICS_SCHEMA,
    auc,
    eps_b_at,
    evaluate,
    r50,
    roc_curve,
    threshold_at,
    validate_metrics,
)

# signal scores 1..4, background 0.5..3.5: P(s > b) = (1 + 2 + 3 + 4) / 16
Y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
S = np.array([1.0, 2.0, 3.0, 4.0, 0.5, 1.5, 2.5, 3.5])


def test_roc_points_and_thresholds():
    eps_s, eps_b, thr = roc_curve(Y, S)
    assert eps_s.tolist() == [0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1, 1]
    assert eps_b.tolist() == [0, 0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1]
    assert thr[0] == math.inf
    assert thr[1:].tolist() == sorted(S.tolist(), reverse=True)


def test_auc_and_r50_known_values():
    assert auc(Y, S) == pytest.approx(10 / 16)
    assert r50(Y, S) == pytest.approx(4.0)  # eps_B = 0.25 at eps_S = 0.5 exactly
    assert threshold_at(Y, S) == 3.0


def test_perfect_and_inverted_and_random():
    y = np.array([1, 1, 0, 0])
    assert auc(y, [3, 4, 1, 2]) == pytest.approx(1.0)
    assert r50(y, [3, 4, 1, 2]) == math.inf
    assert auc(y, [1, 2, 3, 4]) == pytest.approx(0.0)
    # all scores tied: one step from (0, 0) to (1, 1), AUC 1/2, R50 2
    assert auc(y, [1, 1, 1, 1]) == pytest.approx(0.5)
    assert r50(y, [1, 1, 1, 1]) == pytest.approx(2.0)


def test_ties_count_half():
    # one signal and one background jet with the same score, one pair above
    y = np.array([1, 0, 1, 0])
    s = np.array([2.0, 2.0, 3.0, 1.0])
    # pairs (s, b): (2, 2) tie -> 1/2, (2, 1) -> 1, (3, 2) -> 1, (3, 1) -> 1
    assert auc(y, s) == pytest.approx(3.5 / 4)


def test_weights_act_like_repeated_jets():
    w = np.array([1, 2, 1, 3, 2, 1, 1, 1], dtype=float)
    repeat = np.repeat(np.arange(len(Y)), w.astype(int))
    assert auc(Y, S, w) == pytest.approx(auc(Y[repeat], S[repeat]))
    assert r50(Y, S, w) == pytest.approx(r50(Y[repeat], S[repeat]))
    # uniform weights within each class do not change anything
    w_uniform = np.where(Y == 1, 0.01, 1000.0)
    assert auc(Y, S, w_uniform) == pytest.approx(auc(Y, S))
    assert r50(Y, S, w_uniform) == pytest.approx(r50(Y, S))


def test_r50_interpolates_linearly():
    eps_s = np.array([0.0, 0.4, 0.6, 1.0])
    eps_b = np.array([0.0, 0.1, 0.3, 1.0])
    assert eps_b_at(eps_s, eps_b, 0.5) == pytest.approx(0.2)


def test_r50_on_gaussians():
    # signal N(1, 1) vs background N(0, 1): eps_S = 0.5 at t = 1, eps_B = 1 - Phi(1)
    rng = np.random.default_rng(1)
    n = 200_000
    y = np.r_[np.ones(n), np.zeros(n)]
    s = np.r_[rng.normal(1, 1, n), rng.normal(0, 1, n)]
    phi1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    assert r50(y, s) == pytest.approx(1 / (1 - phi1), rel=0.02)
    assert auc(y, s) == pytest.approx(0.5 * (1 + math.erf(0.5)), abs=0.003)  # Phi(1/sqrt 2)


def test_other_class_is_ignored_and_bad_input_fails():
    y = np.r_[Y, -1, -1]
    s = np.r_[S, 100.0, -100.0]
    assert auc(y, s) == pytest.approx(10 / 16)
    with pytest.raises(ValueError, match="NaN"):
        auc(Y, np.r_[S[:-1], np.nan])
    with pytest.raises(ValueError, match="signal"):
        auc(np.zeros(4), [1, 2, 3, 4])


def test_bootstrap_errors_shrink_with_statistics_and_are_seeded():
    rng = np.random.default_rng(2)

    def sample(n):
        y = np.r_[np.ones(n), np.zeros(n)]
        return y, np.r_[rng.normal(1.5, 1, n), rng.normal(0, 1, n)]

    small = evaluate(*sample(500), n_bootstrap=50, seed=3)
    large = evaluate(*sample(20_000), n_bootstrap=50, seed=3)
    assert 0 < large["auc_err"] < small["auc_err"]
    assert 0 < large["r50_err"] < small["r50_err"]
    # expected AUC error ~ sqrt(AUC(1-AUC)/n)-ish: order 1e-3 for 2 x 20k jets
    assert large["auc_err"] == pytest.approx(0.002, rel=0.6)
    y, s = sample(300)
    assert evaluate(y, s, n_bootstrap=20, seed=5) == evaluate(y, s, n_bootstrap=20, seed=5)


def test_metrics_layout_schema():
    good = {
        "tagger": "bdt",
        "kind": "bdt",
        "split": "test",
        "auc": 0.9,
        "auc_err": 0.01,
        "r50": 40.0,
        "r50_err": 3.0,
        "eps_b_at_50": 0.025,
        "threshold_at_50": 0.8,
        "bootstrap": 10,
        "weights": "physics",
        "n_test": {"signal": 10, "background": 12},
        "sum_weight_test": {"signal": 1.0, "background": 2.0},
        "n_train": {"signal": 100, "background": 90},
        "train_seconds": 1.5,
        "inputs": ["tau21"],
    }
    validate_metrics(good)
    jsonschema.Draft202012Validator.check_schema(METRICS_SCHEMA)
    for key, value in (("auc", 1.5), ("split", "train"), ("kind", "svm"), ("extra", 1)):
        with pytest.raises(jsonschema.ValidationError):
            validate_metrics({**good, key: value})
    with pytest.raises(jsonschema.ValidationError):
        validate_metrics({k: v for k, v in good.items() if k != "r50"})


def test_infinite_scores_tie():
    # cut-based taggers give -inf to jets without the variable: they fail every cut together
    y = np.array([1, 0, 1, 0])
    s = np.array([-np.inf, -np.inf, 1.0, 0.0])
    eps_s, eps_b, _ = roc_curve(y, s)
    assert eps_s.tolist() == [0, 0.5, 0.5, 1]
    assert eps_b.tolist() == [0, 0, 0.5, 1]
    assert auc(y, s) == pytest.approx(2.5 / 4)  # the (-inf, -inf) pair counts 1/2
