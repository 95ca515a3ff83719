"""Skim: the leading large-R jet of each event, with weights, truth labels and a cutflow.

* :mod:`lhcml.skim.inputs`    up-front input checks and the normalisation (``Runs`` tree)
* :mod:`lhcml.skim.labels`    truth labels by matching to ``GenPart``
* :mod:`lhcml.skim.processor` the coffea processor and the output schema
* :mod:`lhcml.skim.run`       :func:`skim_sample`: one sample from files to parquet + cutflow

Units: GeV, radians, pb (cross sections), fb^-1 (luminosity).
"""

from lhcml.skim.inputs import Normalisation, SkimInputError, check_input_file, read_normalisation
from lhcml.skim.labels import LABELS, label_codes, label_jets, label_names
from lhcml.skim.processor import (
    COLUMNS,
    CUTFLOW_STEPS,
    DEFAULT_CUTS,
    LeadingFatJetProcessor,
    SampleNorm,
    assemble,
    empty_table,
)
from lhcml.skim.run import skim_sample

__all__ = [
    "COLUMNS",
    "CUTFLOW_STEPS",
    "DEFAULT_CUTS",
    "LABELS",
    "LeadingFatJetProcessor",
    "Normalisation",
    "SampleNorm",
    "SkimInputError",
    "assemble",
    "check_input_file",
    "empty_table",
    "label_codes",
    "label_jets",
    "label_names",
    "read_normalisation",
    "skim_sample",
]
