"""Pseudo-data: unweighted, Poisson-fluctuated events drawn from the held-out test split.

Conventions
-----------
The jets are grouped into *components*: per sample, the W/Z-matched jets of the signal
samples (``y == 1``, scaled by the injected signal strength ``mu_inj``) and the rest. The
expected count of a component at luminosity ``L`` is

    lambda = mu * sum_w(all splits) * L / L_weights

with ``sum_w`` the physics weights (xsec x L_weights x genWeight / sumw, as written by the
skim at ``L_weights`` = the config's ``lumi_fb``) summed over the train, validation and test
splits, i.e. the full selected yield (``mu = 1`` for the non-signal components).

The pseudo-data of a component are ``n ~ Poisson(lambda)`` *distinct* jets of its test
split, chosen with probability proportional to their weight (all weights of a generated
sample are equal, so this is a uniform choice). No jet is used twice, and no jet of the
training or validation split is used: the pseudo-data are statistically independent of
training and of the templates. A component can therefore supply at most as many jets as
its test split holds: a luminosity is refused (:class:`LuminosityError`, naming the
sample) unless ``lambda + z sqrt(lambda) <= N_test`` for every component, with ``z = 5``
by default, so that a Poisson fluctuation exceeds the pool with probability < 3e-7.

For generated samples the limit is essentially ``f_test N_generated / xsec``: the QCD
sample (8.6 nb at pTHat > 300 GeV) supplies a few pb^-1, the V+jets sample (25 pb) a
thousand times more.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from lhcml.inference.inputs import is_signal, read_columns
from lhcml.inference.yields import yield_weights


class LuminosityError(ValueError):
    """The simulated test sample is too small for the requested pseudo-data luminosity."""

    def __init__(self, message: str, sample: str):
        super().__init__(message)
        self.sample = sample


@dataclass
class Component:
    """One group of jets drawn together (see the module docstring)."""

    sample: str
    signal: bool
    sum_weight: float  #: physics weight summed over all splits (at the weights' luminosity)
    pool: int  #: test-split jets available
    expected: float  #: lambda at the requested luminosity and mu_inj
    max_lumi_fb: float  #: the largest luminosity this component can supply (at this mu_inj)

    def to_dict(self) -> dict:
        return asdict(self)


def component_keys(sample: np.ndarray, signal: np.ndarray) -> list[tuple[str, bool]]:
    """The (sample, signal) components present, in a fixed (sorted) order."""
    return sorted({(str(s), bool(g)) for s, g in zip(sample, signal, strict=True)})


def sum_weights(sample, signal, weight) -> dict[tuple[str, bool], float]:
    """Physics weight per component (pass the concatenated splits for the full yield)."""
    sample, signal, weight = np.asarray(sample), np.asarray(signal, bool), np.asarray(weight)
    return {
        (s, g): float(weight[(sample == s) & (signal == g)].sum())
        for s, g in component_keys(sample, signal)
    }


def max_expected(pool: int, z: float) -> float:
    """The largest lambda with ``lambda + z sqrt(lambda) <= pool``."""
    root = (-z + math.sqrt(z * z + 4.0 * pool)) / 2.0
    return max(root, 0.0) ** 2


def plan(
    totals: dict[tuple[str, bool], float],
    test_sample: np.ndarray,
    test_signal: np.ndarray,
    test_weight: np.ndarray,
    lumi_fb: float,
    weights_lumi_fb: float,
    mu_inj: float,
    samples=None,
    z: float = 5.0,
) -> list[Component]:
    """Expected counts and pool sizes of the components of ``samples`` (default: all).

    Raises ValueError for negative weights (events with negative weights cannot be
    unweighted by this method), naming the sample.
    """
    test_sample = np.asarray(test_sample)
    test_signal = np.asarray(test_signal, bool)
    test_weight = np.asarray(test_weight, np.float64)
    out = []
    for (s, g), total in sorted(totals.items()):
        if samples is not None and s not in samples:
            continue
        in_pool = (test_sample == s) & (test_signal == g)
        if np.any(test_weight[in_pool] < 0) or total < 0:
            raise ValueError(f"sample {s!r}: negative weights cannot be drawn as unweighted events")
        pool = int((in_pool & (test_weight > 0)).sum())
        scale = (mu_inj if g else 1.0) * total / weights_lumi_fb  # jets per fb^-1
        expected = scale * lumi_fb
        max_lumi = max_expected(pool, z) / scale if scale > 0 else math.inf
        out.append(Component(s, g, total, pool, expected, max_lumi))
    return out


def check_supply(components: list[Component], lumi_fb: float, z: float = 5.0) -> None:
    """Raise :class:`LuminosityError` naming the first component the test split cannot supply."""
    for c in sorted(components, key=lambda c: c.max_lumi_fb):
        if c.expected + z * math.sqrt(c.expected) > c.pool:
            part = "W/Z signal jets" if c.signal else "jets"
            raise LuminosityError(
                f"pseudo-data at {lumi_fb:g} fb^-1 need {c.expected:.0f} {part} of sample "
                f"{c.sample!r} on average (+{z:g} sigma), but its test split has only "
                f"{c.pool}: sample {c.sample!r} limits the luminosity to "
                f"{c.max_lumi_fb:.3g} fb^-1 (inference.lumi_fb)",
                sample=c.sample,
            )


def draw(
    components: list[Component],
    test_sample: np.ndarray,
    test_signal: np.ndarray,
    test_weight: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sorted test-split row indices of one pseudo-dataset (each row at most once).

    Call :func:`check_supply` first; a Poisson draw larger than a pool raises
    LuminosityError here too.
    """
    test_sample = np.asarray(test_sample)
    test_signal = np.asarray(test_signal, bool)
    test_weight = np.asarray(test_weight, np.float64)
    rows = []
    for c in components:
        idx = np.flatnonzero(
            (test_sample == c.sample) & (test_signal == c.signal) & (test_weight > 0)
        )
        n = int(rng.poisson(c.expected))
        if n > len(idx):
            raise LuminosityError(
                f"sample {c.sample!r}: drew {n} jets from a test split of {len(idx)}", c.sample
            )
        p = test_weight[idx] / test_weight[idx].sum()
        rows.append(rng.choice(idx, size=n, replace=False, p=p))
    return np.sort(np.concatenate(rows)) if rows else np.zeros(0, np.int64)


def sample_totals(meta: dict) -> dict[tuple[str, bool], float]:
    """``{(sample, is_signal): summed physics weight over all splits}`` from the
    pseudo-data bookkeeping ``meta`` (its ``totals``; weights at ``weights_lumi_fb``)."""
    return {(t["sample"], bool(t["signal"])): float(t["sum_weight"]) for t in meta["totals"]}


def jet_yields(features: dict, meta: dict, lumi_fb: float) -> tuple[np.ndarray, np.ndarray]:
    """``(is_signal, yield weight)`` of each jet of the feature columns ``features``
    (:func:`.inputs.read_features`): the W/Z-matched jets of the signal samples, and the
    number of jets each stands for at ``lumi_fb`` (:func:`.yields.yield_weights`, with the
    samples' totals over all splits from the pseudo-data bookkeeping ``meta``)."""
    signal = is_signal(features, meta["signal_samples"])
    weights = yield_weights(
        features["sample"],
        signal,
        features["weight"],
        sample_totals(meta),
        lumi_fb,
        meta["weights_lumi_fb"],
    )
    return signal, weights


def read_datasets(path) -> dict[str, np.ndarray]:
    """``{dataset name: sorted test-split rows}`` of the pseudo-data table at ``path``."""
    table = read_columns(path, ("dataset", "row"))
    names = table["dataset"]
    return {str(n): np.sort(table["row"][names == n]) for n in dict.fromkeys(names)}
