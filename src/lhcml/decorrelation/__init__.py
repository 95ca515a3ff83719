"""Mass-decorrelated W/Z taggers and their metrics (docs/physics.md, "Mass decorrelation").

The soft-drop mass m_SD is the fit variable of the analysis: a tagger that learns it
sculpts the QCD spectrum into a fake W/Z peak. The taggers here do not use the mass as an
input and are trained (or transformed) so that their cut leaves the QCD mass spectrum
unchanged.

===============  ===============================================================  =========
tagger           method                                                           kind
===============  ===============================================================  =========
``adversarial``  classifier vs an adversary predicting the m_SD bin from the      adversarial
                 score, QCD jets only (Louppe et al. 2016, Shimmin et al. 2017)
                 (:mod:`.adversarial`)
``disco``        classifier + lambda x distance correlation (score, m_SD)^2 on     disco
                 QCD jets (Kasieczka & Shih 2020) (:mod:`.disco`)
``ddt_tau21``    designed decorrelated tagger: -tau21 minus its QCD quantile in    ddt
                 bins of rho and pT (:mod:`.ddt`)
``ddt_bdt``      the same transformation of the trained BDT's score                ddt
===============  ===============================================================  =========

The metric pair (:mod:`.jsd`) is the background rejection R50 and 1/JSD, the inverse
Jensen-Shannon divergence (log base 2) between the QCD mass spectra passing and failing
the cut at 50% signal efficiency. Every tagger writes its scores like the taggers stage
(``results/scores/{tagger}/{split}.parquet``, higher = more W/Z-like).
"""

from __future__ import annotations

from pathlib import Path

from lhcml.decorrelation.ddt import DDTTagger
from lhcml.io import read_json
from lhcml.taggers import DISPLAY_NAMES as TAGGER_NAMES
from lhcml.taggers.dnn import DNNTagger

#: Decorrelated taggers and the kind (method) of each.
MD_TAGGERS: dict[str, str] = {
    "adversarial": "adversarial",
    "disco": "disco",
    "ddt_tau21": "ddt",
    "ddt_bdt": "ddt",
}
#: Network-based methods (trained with TensorFlow) and their lambda scans.
NN_METHODS: tuple[str, ...] = ("adversarial", "disco")
#: The taggers-stage score each DDT tagger transforms.
DDT_BASES: dict[str, str] = {"ddt_tau21": "tau21", "ddt_bdt": "bdt"}
#: Inputs that carry the jet mass: never inputs of a decorrelated network.
MASS_FEATURES: tuple[str, ...] = ("msd", "rho")

#: Names for plot legends.
DISPLAY_NAMES: dict[str, str] = {
    "adversarial": "Adversarial",
    "disco": "DisCo",
    "ddt_tau21": r"$\tau_{21}^\mathrm{DDT}$",
    "ddt_bdt": r"BDT$^\mathrm{DDT}$",
}


def kind_of(tagger: str) -> str:
    """``adversarial``, ``disco`` or ``ddt``."""
    try:
        return MD_TAGGERS[tagger]
    except KeyError:
        raise ValueError(
            f"unknown decorrelated tagger {tagger!r} (known: {', '.join(MD_TAGGERS)})"
        ) from None


#: File name of each kind's model inside results/models/{tagger}/ (and in each scan
#: point's folder): native Keras for the networks, JSON for the DDT map.
MODEL_FILES: dict[str, str] = {
    "adversarial": "model.keras",
    "disco": "model.keras",
    "ddt": "model.json",
}


def model_file(tagger: str) -> str:
    """File name of a decorrelated tagger's model inside results/models/{tagger}/."""
    return MODEL_FILES[kind_of(tagger)]


def display_name(tagger: str) -> str:

    return DISPLAY_NAMES.get(tagger, TAGGER_NAMES.get(tagger, tagger))


def load_decorrelated(model_path, meta_path, threads: int = 1):
    """A saved decorrelated tagger (model file and meta.json): a DNNTagger (networks) or a
    DDTTagger, ready to ``score`` feature tables."""

    meta = read_json(meta_path)
    if kind_of_meta(meta) == "ddt":
        return DDTTagger.load(model_path)

    return DNNTagger.load(model_path, meta, threads=threads)


def kind_of_meta(meta: dict) -> str:
    """The method of a saved decorrelated tagger's meta.json (``kind``, else by name)."""
    return meta.get("kind") or kind_of(meta["tagger"])


def scan_folder(parameter: str, value) -> str:
    """Folder of one scan point: ``lambda_10``, ``mass_bandwidth_0.2``."""
    return f"{parameter}_{float(value):g}"


def scan_points(
    values,
    scan_dir,
    main_value=None,
    main_scores=None,
    main_meta=None,
    parameter: str = "lambda",
    split: str = "test",
) -> list[tuple]:
    """``[(value, scores of split, meta.json)]`` of a scan.

    At ``main_value`` (a network's own lambda) the point is the tagger's own files; the
    other points are in ``{scan_dir}/{parameter}_{value:g}/`` (scores ``{split}.parquet``).
    """
    points = []
    for value in values:
        if main_value is not None and float(value) == float(main_value):
            points.append((float(value), main_scores, main_meta))
        else:
            folder = Path(scan_dir) / scan_folder(parameter, value)
            points.append((float(value), folder / f"{split}.parquet", folder / "meta.json"))
    return points


__all__ = [
    "DDT_BASES",
    "DISPLAY_NAMES",
    "MASS_FEATURES",
    "MD_TAGGERS",
    "MODEL_FILES",
    "NN_METHODS",
    "display_name",
    "kind_of",
    "kind_of_meta",
    "load_decorrelated",
    "model_file",
    "scan_folder",
    "scan_points",
]
