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


def model_file(tagger: str) -> str:
    """File name of a decorrelated tagger's model inside results/models/{tagger}/."""
    return "model.json" if kind_of(tagger) == "ddt" else "model.keras"


def display_name(tagger: str) -> str:
    from lhcml.taggers import DISPLAY_NAMES as TAGGER_NAMES

    return DISPLAY_NAMES.get(tagger, TAGGER_NAMES.get(tagger, tagger))


__all__ = [
    "DDT_BASES",
    "DISPLAY_NAMES",
    "MASS_FEATURES",
    "MD_TAGGERS",
    "NN_METHODS",
    "display_name",
    "kind_of",
    "model_file",
]
