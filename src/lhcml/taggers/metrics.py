"""Tagger performance: weighted ROC curve, AUC, R50 and bootstrap uncertainties.

Conventions
-----------
* A higher score is more signal-like for every tagger; a jet passes a cut ``t`` when
  ``score >= t``.
* Efficiencies are weighted with the physics weights: eps_S(t) = sum of signal weights
  passing / sum of signal weights, eps_B likewise. Jets with equal scores pass or fail
  together, so ties give one ROC point (and count half in the AUC, as the Mann-Whitney
  statistic).
* AUC = integral of eps_S d(eps_B) (trapezoids; 0.5 = no separation).
* R50 = 1 / eps_B at eps_S = 0.5, with eps_B interpolated linearly in eps_S between the
  two ROC points around 0.5 (infinite when no background passes).
* Uncertainties: Poisson bootstrap (each jet's weight times a Poisson(1) number per
  replica, seeded); the quoted error is the standard deviation over the replicas.
"""

from __future__ import annotations

import math

import jsonschema
import numpy as np


def _prepare(y, score, weight):
    y = np.asarray(y)
    score = np.asarray(score, dtype=np.float64)
    weight = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=np.float64)
    if not (len(y) == len(score) == len(weight)):
        raise ValueError(f"lengths differ: y {len(y)}, score {len(score)}, weight {len(weight)}")
    if np.isnan(score).any():
        raise ValueError("scores contain NaN")
    if not ((y == 1).any() and (y == 0).any()):
        raise ValueError("need both signal (y=1) and background (y=0) jets")
    keep = (y == 0) | (y == 1)
    return y[keep] == 1, score[keep], weight[keep]


class _SortedScores:
    """Jets sorted by decreasing score, with the last index of each group of equal scores."""

    def __init__(self, y, score, weight):
        self.is_sig, score, self.weight = _prepare(y, score, weight)
        self.order = np.argsort(-score, kind="stable")
        sorted_scores = score[self.order]
        self.thresholds_all = sorted_scores
        last = np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1])  # inf-safe
        self.group_end = np.append(last, len(sorted_scores) - 1)

    def curve(self, weight=None) -> tuple[np.ndarray, np.ndarray]:
        """(eps_S, eps_B) at every distinct threshold, starting at (0, 0)."""
        w = (self.weight if weight is None else weight)[self.order]
        sig = self.is_sig[self.order]
        cum_s = np.cumsum(np.where(sig, w, 0.0))[self.group_end]
        cum_b = np.cumsum(np.where(sig, 0.0, w))[self.group_end]
        eps_s = np.concatenate([[0.0], cum_s / cum_s[-1]])
        eps_b = np.concatenate([[0.0], cum_b / cum_b[-1]])
        return eps_s, eps_b

    @property
    def thresholds(self) -> np.ndarray:
        return np.concatenate([[np.inf], self.thresholds_all[self.group_end]])


def roc_curve(y, score, weight=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted ROC: ``(eps_S, eps_B, thresholds)``, one point per distinct score.

    Point ``i`` is the cut ``score >= thresholds[i]``; the first point is (0, 0) at
    threshold +inf, the last (1, 1). Jets with ``y`` not in {0, 1} are ignored.
    """
    sorted_scores = _SortedScores(y, score, weight)
    eps_s, eps_b = sorted_scores.curve()
    return eps_s, eps_b, sorted_scores.thresholds


def auc_from_curve(eps_s: np.ndarray, eps_b: np.ndarray) -> float:
    return float(np.sum(np.diff(eps_b) * (eps_s[1:] + eps_s[:-1]) / 2.0))


def eps_b_at(eps_s: np.ndarray, eps_b: np.ndarray, target: float = 0.5) -> float:
    """Background efficiency at signal efficiency ``target``, interpolated linearly."""
    i = int(np.searchsorted(eps_s, target, side="left"))  # first point with eps_S >= target
    if eps_s[i] == target or i == 0:
        return float(eps_b[i])
    f = (target - eps_s[i - 1]) / (eps_s[i] - eps_s[i - 1])
    return float(eps_b[i - 1] + f * (eps_b[i] - eps_b[i - 1]))


def rejection(eps_b: float) -> float:
    return math.inf if eps_b <= 0 else 1.0 / eps_b


def auc(y, score, weight=None) -> float:
    """Weighted area under the ROC curve (probability that signal scores above background)."""
    eps_s, eps_b, _ = roc_curve(y, score, weight)
    return auc_from_curve(eps_s, eps_b)


def r50(y, score, weight=None, signal_efficiency: float = 0.5) -> float:
    """Background rejection 1 / eps_B at the given signal efficiency (0.5: R50)."""
    eps_s, eps_b, _ = roc_curve(y, score, weight)
    return rejection(eps_b_at(eps_s, eps_b, signal_efficiency))


def threshold_at(y, score, weight=None, signal_efficiency: float = 0.5) -> float:
    """The loosest cut ``score >= t`` whose weighted signal efficiency reaches the target."""
    eps_s, _, thresholds = roc_curve(y, score, weight)
    return float(thresholds[int(np.searchsorted(eps_s, signal_efficiency, side="left"))])


def evaluate(
    y, score, weight=None, n_bootstrap: int = 0, seed: int = 0, signal_efficiency: float = 0.5
) -> dict:
    """AUC, R50 (at ``signal_efficiency``), eps_B, the cut, and bootstrap errors.

    Errors (``auc_err``, ``r50_err``) are the standard deviations over ``n_bootstrap``
    Poisson-bootstrap replicas (None without bootstrap). R50 replicas that are infinite
    (no background passing) are left out of its spread.
    """
    sorted_scores = _SortedScores(y, score, weight)
    eps_s, eps_b = sorted_scores.curve()
    eb = eps_b_at(eps_s, eps_b, signal_efficiency)
    i = int(np.searchsorted(eps_s, signal_efficiency, side="left"))
    out = {
        "auc": auc_from_curve(eps_s, eps_b),
        "r50": rejection(eb),
        "eps_b_at_50": eb,
        "threshold_at_50": float(sorted_scores.thresholds[i]),
        "auc_err": None,
        "r50_err": None,
        "bootstrap": int(n_bootstrap),
    }
    if n_bootstrap > 0:
        rng = np.random.default_rng(seed)
        aucs, r50s = [], []
        for _ in range(n_bootstrap):
            w = sorted_scores.weight * rng.poisson(1.0, size=len(sorted_scores.weight))
            bs, bb = sorted_scores.curve(w)
            aucs.append(auc_from_curve(bs, bb))
            r50s.append(rejection(eps_b_at(bs, bb, signal_efficiency)))
        r50s = np.asarray(r50s)
        out["auc_err"] = float(np.std(aucs, ddof=1)) if n_bootstrap > 1 else 0.0
        finite = r50s[np.isfinite(r50s)]
        out["r50_err"] = float(np.std(finite, ddof=1)) if len(finite) > 1 else None
    return out


#: The performance figures of a tagger's metrics file (:func:`evaluate`'s keys).
PERFORMANCE_KEYS: tuple[str, ...] = (
    "auc",
    "auc_err",
    "r50",
    "r50_err",
    "eps_b_at_50",
    "threshold_at_50",
    "bootstrap",
)


def _per_class(value_schema: dict) -> dict:
    """Schema of a ``{"signal": ..., "background": ...}`` record of ``value_schema``."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["signal", "background"],
        "properties": {"signal": value_schema, "background": value_schema},
    }


#: JSON schema of results/metrics/{tagger}.json (docs/architecture.md, "Results files").
METRICS_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "tagger metrics on the test split",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "tagger",
        "kind",
        "split",
        *PERFORMANCE_KEYS,
        "weights",
        "n_test",
        "sum_weight_test",
        "n_train",
        "train_seconds",
        "inputs",
    ],
    "properties": {
        "tagger": {"type": "string"},
        "kind": {"enum": ["bdt", "dnn", "deepsets", "cutbased", "adversarial", "disco", "ddt"]},
        "split": {"const": "test"},
        "auc": {"type": "number", "minimum": 0, "maximum": 1},
        "auc_err": {"type": ["number", "null"], "minimum": 0},
        "r50": {"type": ["number", "null"], "minimum": 1, "description": "null if infinite"},
        "r50_err": {"type": ["number", "null"], "minimum": 0},
        "eps_b_at_50": {"type": "number", "minimum": 0, "maximum": 1},
        "threshold_at_50": {"type": "number"},
        "bootstrap": {"type": "integer", "minimum": 0},
        "weights": {"const": "physics"},
        "n_test": {"$ref": "#/$defs/per_class_int"},
        "sum_weight_test": {"$ref": "#/$defs/per_class_number"},
        "n_train": {"$ref": "#/$defs/per_class_int"},
        "train_seconds": {"type": "number", "minimum": 0},
        "inputs": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "feature_importance": {"type": "object", "additionalProperties": {"type": "number"}},
        # mass-decorrelated taggers (lhcml.decorrelation.jsd): QCD m_SD pass/fail JSD, log2
        "jsd": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "jsd_err": {"type": ["number", "null"], "minimum": 0},
        "inv_jsd": {"type": ["number", "null"], "minimum": 1, "description": "null if infinite"},
        "inv_jsd_err": {"type": ["number", "null"], "minimum": 0},
    },
    "$defs": {
        "per_class_int": _per_class({"type": "integer", "minimum": 0}),
        "per_class_number": _per_class({"type": "number", "exclusiveMinimum": 0}),
    },
}


def validate_metrics(metrics: dict) -> dict:
    """Raise ``jsonschema.ValidationError`` if ``metrics`` does not follow METRICS_SCHEMA."""

    jsonschema.validate(metrics, METRICS_SCHEMA)
    return metrics


def metrics_record(meta: dict, y, w, values: dict) -> dict:
    """The layout of results/metrics/{tagger}.json: the tagger's ``values`` (AUC, R50, ...)
    with the test-jet counts and weights of labels ``y`` and physics weights ``w`` and the
    training facts from the tagger's ``meta``."""
    return {
        "tagger": meta["tagger"],
        "kind": meta["kind"],
        "split": "test",
        **values,
        "weights": "physics",
        "n_test": {"signal": int((y == 1).sum()), "background": int((y == 0).sum())},
        "sum_weight_test": {"signal": float(w[y == 1].sum()), "background": float(w[y == 0].sum())},
        "n_train": meta["n_train"],
        "train_seconds": float(meta["train_seconds"]),
        "inputs": meta["inputs"],
    }
