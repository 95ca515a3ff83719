"""Feature standardisation shared by the networks of every stage (taggers, trigger).

Kept apart from :mod:`lhcml.taggers` so that importing it needs only NumPy (the trigger
rules' environment has no xgboost).
"""

from __future__ import annotations

import numpy as np


class Standardizer:
    """Per-feature ``(x - mean) / std`` with NaN -> 0 (the training mean) after scaling.

    ``mean`` and ``std`` are computed ignoring NaN (a constant feature gets std 1).
    Saved in the model's metadata (:meth:`to_dict`) so scoring uses the training scaling.
    """

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)

    @classmethod
    def fit(cls, x: np.ndarray, mask: np.ndarray | None = None) -> Standardizer:
        """Fit on rows of ``x`` (last axis = features); ``mask`` selects the rows to use."""
        x = np.asarray(x, dtype=np.float64)
        rows = x.reshape(-1, x.shape[-1])
        if mask is not None:
            rows = rows[np.asarray(mask, bool).reshape(-1)]
        mean = np.nan_to_num(np.nanmean(rows, axis=0))
        std = np.nan_to_num(np.nanstd(rows, axis=0))
        return cls(mean, np.where(std > 0, std, 1.0))

    def transform(self, x: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, dtype=np.float64) - self.mean) / self.std
        return np.nan_to_num(z, nan=0.0).astype(np.float32)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Standardizer:
        return cls(data["mean"], data["std"])
