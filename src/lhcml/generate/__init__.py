"""Event generation: Pythia 8, parametric detector, FastJet reconstruction, NanoAOD output.

* :mod:`lhcml.generate.pythia`       process settings, event loop, pruned generator record
* :mod:`lhcml.generate.detector`     parametric detector response
* :mod:`lhcml.generate.reconstruct`  jet clustering and substructure
* :mod:`lhcml.generate.nanoaod_writer` NanoAOD-format ROOT output with uproot
* :mod:`lhcml.generate.chunk`        one generation job (the Snakemake rule's body)
"""

from __future__ import annotations

import math

from lhcml.io import read_json


def combine_cross_sections(metadata: list[dict]) -> tuple[float, float]:
    """Combine per-chunk Pythia cross-section estimates (pb) into one, with its error.

    Each chunk's ``sigmaGen`` is an independent estimate with statistical error; they are
    averaged with inverse-variance weights (equal-size chunks give nearly equal weights).
    """
    if not metadata:
        raise ValueError("no chunk metadata to combine")
    weights = [1.0 / m["xsec_err_pb"] ** 2 if m["xsec_err_pb"] > 0 else 0.0 for m in metadata]
    if sum(weights) == 0:
        return float(sum(m["xsec_pb"] for m in metadata) / len(metadata)), 0.0
    mean = sum(w * m["xsec_pb"] for w, m in zip(weights, metadata, strict=True)) / sum(weights)
    return float(mean), float(math.sqrt(1.0 / sum(weights)))


def sample_cross_section(meta_paths) -> tuple[float, float]:
    """The combined cross section (pb) and error of a generated sample from its chunks'
    metadata JSON files (see :func:`combine_cross_sections`)."""

    return combine_cross_sections([read_json(p) for p in meta_paths])
