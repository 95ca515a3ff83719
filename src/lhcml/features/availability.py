"""Whether every sample's files can give the features its taggers need.

Real NanoAOD has no ``FatJet_d2b1``. The skim rebuilds it from the jet constituents where a
file stores them (PFNano, NanoAOD v15) and records in its cutflow JSON the files that can
give a feature neither way (``missing_features``, see :mod:`lhcml.skim.run`). A stage that
feeds such a feature to a tagger calls :func:`check_features_available` first, so the run
stops naming the feature, the file and the tagger instead of training on or scoring NaN.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence


def check_features_available(
    cutflows: Mapping[str, str | os.PathLike], needs: Mapping[str, Sequence[str]]
) -> None:
    """Raise ``ValueError`` if a tagger needs a feature some sample's files lack.

    Parameters
    ----------
    cutflows
        Sample -> its skim cutflow JSON.
    needs
        Tagger -> the feature names it reads (e.g. ``["pt", "tau21", "d2"]``).
    """
    for sample, path in cutflows.items():
        with open(path) as f:
            missing = json.load(f).get("missing_features", {})
        for feature, files in missing.items():
            taggers = sorted(t for t, features in needs.items() if feature in features)
            if taggers and files:
                file, reason = next(iter(files.items()))
                raise ValueError(
                    f"feature {feature!r} is missing from {file} (sample {sample!r}: {reason}); "
                    f"tagger(s) {', '.join(taggers)} need it: remove {feature} from their "
                    "features (train.features / decorrelate.features) or drop the sample"
                )
