"""Deterministic train / validation / test assignment by event-number hash.

A jet's split depends only on its event's (run, luminosityBlock, event) and a seed, never
on file order, chunking or which other events exist: rerunning with more events keeps
every old event in its split, and the test split stays statistically independent of
training. The hash is SplitMix64 (Steele, Lea, Flood 2014) applied to the three numbers
in turn, mapped to a uniform number u in [0, 1); u < f_train -> train,
u < f_train + f_val -> val, else test.
"""

from __future__ import annotations

import numpy as np

from lhcml.tables import SPLITS

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def event_hash(run, luminosity_block, event, seed: int = 0) -> np.ndarray:
    """A 64-bit hash per event (uint64 array), uniform over the 2^64 values."""
    h = _splitmix64(np.full(np.shape(event), np.uint64(seed), dtype=np.uint64))
    for values in (run, luminosity_block, event):
        h = _splitmix64(h ^ np.asarray(values).astype(np.uint64))
    return h


def assign_split(
    run, luminosity_block, event, fractions: dict[str, float], seed: int = 0
) -> np.ndarray:
    """The split name ('train', 'val' or 'test') of every event.

    ``fractions`` maps each split to its expected fraction (summing to 1).
    """
    u = (event_hash(run, luminosity_block, event, seed) >> np.uint64(11)).astype(
        np.float64
    ) / 2.0**53
    edges = np.cumsum([fractions[s] for s in SPLITS])
    index = np.searchsorted(edges[:-1], u, side="right")
    return np.asarray(SPLITS, dtype=object)[index]
