"""The decorrelation scans through the fit: what ``rules/inference.smk``'s scan job runs.

Each point of a decorrelated tagger's scan (DisCo or adversary lambda, DDT mass
bandwidth; ``results/decorrelation/scan/{tagger}/``) gets the measurement of a tagger
(:mod:`.measurement`) reduced to its error budget:

1. the AMS cut on the template split, as ``inference_ams`` picks it for a tagger;
2. the pass region's templates, smooth background, spurious signal and binned model,
   built as for a tagger (:func:`.measurement.build_model`);
3. Poisson pseudo-data of ``smooth background + mu_inj * signal`` at the measurement
   luminosity, the nominal fit and the stat-only fit.

Differences from a tagger's measurement: no JES nuisance (the JES variation rescores the
shifted jets with the saved model, rules ``inference_jes``, which runs for the configured
taggers only), no profile scans, impacts, significance or toys. The total error on mu of
a scan point is therefore slightly smaller than the same tagger's full fit would give;
where the spurious signal dominates, as on the default configuration, the difference is
small. Writes ``results/inference/scan/{tagger}.json``.
"""

from __future__ import annotations

import logging
import math
import time
import zlib

import numpy as np

from lhcml.inference import SCAN_FIT_NOTE
from lhcml.inference.ams import ams_of_scores
from lhcml.inference.backend import import_zfit
from lhcml.inference.inputs import read_features, read_scores
from lhcml.inference.measurement import build_model, pass_arrays
from lhcml.io import read_json, write_json

log = logging.getLogger("lhcml.inference")


def fit_scan_point(
    name: str, features: dict, score, meta: dict, cfg: dict, ams: dict, seed: int
) -> dict:
    """AMS cut, model and nominal + stat-only fits of one scored template split.

    ``features``: feature columns of the template split (:func:`.inputs.read_features`);
    ``score``: the scan point's scores of those jets; ``meta``: the pseudo-data
    bookkeeping (results/inference/pseudodata.json: signal samples, weight totals);
    ``cfg``: the ``inference`` config section; ``ams``: the AMS parameters of
    ``inference_ams`` (``lumi_fb, window, efficiencies, b_r, min_background_jets``);
    ``seed``: the pseudo-data are drawn from ``(seed, crc32(name))``. zfit must have been
    imported through :func:`lhcml.inference.backend.import_zfit`.

    Returns ``{threshold, ams, eps_s, mu, mu_err, mu_stat, mu_syst, spurious_signal:
    {mu, mu_err_mc, size, n_signal}, expected_signal, expected_background, valid, reason,
    fit_seconds}``; ``valid`` is False with a ``reason`` if no AMS cut is eligible or the
    nominal fit fails (mu entries None then).
    """
    import lhcml.inference.measure as M

    t0 = time.perf_counter()
    out = {
        "valid": False,
        "reason": None,
        "mu": None,
        "mu_err": None,
        "mu_stat": None,
        "mu_syst": None,
    }
    try:
        cut = ams_of_scores(
            features,
            score,
            meta,
            ams["lumi_fb"],
            ams["window"],
            ams["efficiencies"],
            ams["b_r"],
            ams["min_background_jets"],
        )
    except ValueError as err:
        out["reason"] = f"AMS: {err}"
        log.error("%s: %s", name, out["reason"])
        return out
    threshold = float(cut["threshold"])
    out.update(threshold=threshold, ams=cut["ams"], eps_s=cut["eps_s"])
    lumi = float(cfg["lumi_fb"])
    msd, label, w, sig, sample = pass_arrays(features, score, threshold, meta, lumi)
    model = build_model(msd, label, w, sig, sample, cfg, jes_tables=None)
    meas = model.meas
    out.update(
        spurious_signal=model.spur,
        expected_signal=float(model.tmpl.nominal.sum()),
        expected_background=float(model.smooth_bkg.sum()),
    )
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    expected = model.smooth_bkg + float(cfg["mu_inj"]) * model.tmpl.nominal
    data = rng.poisson(expected).astype(np.float64)
    opt = M.minimizer()
    meas.load(data)
    nominal = M.fit(meas, opt, meas.start_values(data), context=f"{name}: nominal fit")
    if not nominal["valid"]:
        out["reason"] = nominal["reason"]
        log.error("%s: nominal fit invalid: %s", name, nominal["reason"])
    else:
        best = nominal["values"]
        mu_hat, mu_tot = best[meas.mu], nominal["errors"][meas.mu]
        stat = M.stat_only(meas, opt, best)
        mu_stat = stat["errors"][meas.mu] if stat["valid"] else math.nan
        out.update(
            valid=True,
            mu=mu_hat,
            mu_err=mu_tot,
            mu_stat=mu_stat,
            mu_syst=math.sqrt(max(mu_tot**2 - mu_stat**2, 0.0)),
        )
    out["fit_seconds"] = time.perf_counter() - t0
    log.info(
        "%s: cut %.4g, mu %s +- %s (stat) +- %s (syst), spurious %.3g +- %.3g (MC)",
        name,
        threshold,
        out["mu"],
        out["mu_stat"],
        out["mu_syst"],
        model.spur["mu"],
        model.spur["mu_err_mc"],
    )
    return out


def scan_fits(
    tagger: str,
    parameter: str,
    points: list,
    features_path,
    pseudodata_meta,
    cfg: dict,
    ams: dict,
    seed: int,
    threads: int,
    out,
) -> dict:
    """Fit every point of ``tagger``'s decorrelation scan; write ``out`` (JSON).

    ``points``: ``[(value, template-split score path), ...]`` with ``value`` the scan
    parameter ``parameter`` (``lambda`` or ``mass_bandwidth``). R50 and 1/JSD of the
    points are not read here: the inference summary joins them from the decorrelation
    summary, so that retraining another tagger does not refit this scan.
    """

    import_zfit(seed, threads)
    meta = read_json(pseudodata_meta)
    features = read_features(features_path)
    result = {
        "tagger": tagger,
        "parameter": parameter,
        "lumi_fb": float(cfg["lumi_fb"]),
        "jes_nuisance": False,
        "note": SCAN_FIT_NOTE,
        "points": [],
    }
    for value, scores_path in sorted(points, key=lambda p: float(p[0])):
        value = float(value)
        score = read_scores(scores_path, features)
        name = f"{tagger} {parameter} {value:g}"
        fit = fit_scan_point(name, features, score, meta, cfg, ams, seed)
        result["points"].append({parameter: value, **fit})
    write_json(out, result)
    return result
