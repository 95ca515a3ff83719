"""Data vs simulation: per-sample feature tables and stacked comparison plots.

Collision data (samples with ``role: data``) never enters the training split: it is
featurised per sample (:func:`write_sample_features`), scored by the taggers trained on
simulation, and compared with the simulation in stacks (:func:`plot_data_vs_simulation`).

Conventions
-----------
* Simulation is weighted with its skim weight (``xsec * lumi_fb * genWeight / sumw``,
  normalised to the config's ``lumi_fb``) times ``data_lumi / lumi_fb``, so that it is
  normalised to the integrated luminosity of the data samples (sum of their ``lumi_fb``).
  When a data sample gives no ``lumi_fb``, the simulation is instead scaled to the number
  of data jets in the inclusive region (a shape comparison; the legend says which).
* When a compared tagger was trained on these simulated samples (in this run, not a
  cut-based one), the jets that may have been used for training (train and validation
  splits) are left out and the test-split jets weighted up by ``1 / test fraction``, so
  the stack is an unbiased estimate of the full simulated yield; otherwise all simulated
  jets are drawn.
* The band is the simulation's statistical uncertainty, ``sqrt(sum w^2)`` per bin; the
  ratio panel shows data / simulation with the data's Poisson error (sqrt(n)) and the
  band divided by the simulation.
* The tagger-pass region keeps jets with ``score >= threshold``, the tagger's working
  point (``datamc.working_points``, or the score keeping 50 % of the simulated signal
  jets when not configured).
"""

from __future__ import annotations

import logging
import os

import awkward as ak
import numpy as np

from lhcml.features.build import sample_features
from lhcml.features.split import assign_split
from lhcml.io import atomic_path
from lhcml.tables import read_parquet

log = logging.getLogger("lhcml.datamc")

#: Variables of the comparison: feature column -> (axis label, bins, low, high).
VARIABLES: dict[str, tuple[str, int, float, float]] = {
    "msd": (r"$m_{SD}$ [GeV]", 22, 0.0, 275.0),
    "pt": (r"Jet $p_T$ [GeV]", 20, 200.0, 1200.0),
    "tau21": (r"$\tau_{21}$", 20, 0.0, 1.0),
    "n2": (r"$N_2^{(1)}$", 20, 0.0, 0.5),
}


def write_sample_features(
    jets_path: str | os.PathLike,
    out_path: str | os.PathLike,
    role: str,
    n_constituents: int,
    fractions: dict[str, float],
    seed: int,
) -> int:
    """One sample's feature table (all its skimmed jets, with their ``split``); returns rows.

    Same features as the training tables (:func:`lhcml.features.build.sample_features`),
    so every tagger scores it; ``split`` is the one the jet has (or would have) in the
    training tables (the event hash of :func:`~lhcml.features.split.assign_split`).
    """
    jets = read_parquet(jets_path)
    columns = sample_features(jets, "other" if role == "data" else role, n_constituents)
    columns["split"] = np.asarray(
        assign_split(columns["run"], columns["luminosityBlock"], columns["event"], fractions, seed),
        dtype=object,
    )
    columns["is_data"] = np.full(len(jets), role == "data")
    table = ak.zip(
        {k: (ak.Array(v.tolist()) if v.dtype == object else v) for k, v in columns.items()},
        depth_limit=1,
    )
    with atomic_path(out_path) as tmp:
        ak.to_parquet(table, tmp)
    log.info("%s: %d jets -> %s", jets_path, len(table), out_path)
    return len(table)


def _np(table, name, dtype=np.float64) -> np.ndarray:
    return np.asarray(ak.to_numpy(table[name]), dtype=dtype)


def working_point(simulation: list, tagger: str, configured: dict) -> float:
    """The pass threshold of ``tagger``: configured, else 50 % of simulated signal jets."""
    if tagger in configured:
        return float(configured[tagger])
    scores = [s[f"score_{tagger}"][s["y"] == 1] for s in simulation if np.any(s["y"] == 1)]
    if not scores or not np.concatenate(scores).size:
        raise ValueError(
            f"config key 'datamc.working_points.{tagger}': no threshold configured and no "
            "simulated signal jets to take the 50 % signal-efficiency point from"
        )
    return float(np.quantile(np.concatenate(scores), 0.5))


def plot_names(taggers: list[str]) -> list[str]:
    """The file stems written by :func:`plot_data_vs_simulation`."""
    variables = [*VARIABLES, *(f"score_{t}" for t in taggers)]
    regions = ["inclusive", *(f"pass_{t}" for t in taggers)]
    return [f"{v}_{r}" for r in regions for v in variables]
