"""lhcml: the library behind the lhcml Snakemake workflow.

Subpackages, one stage each:

* :mod:`lhcml.generate`     Pythia 8 events, parametric detector, FastJet reconstruction,
                            NanoAOD-format ROOT output
* :mod:`lhcml.substructure` jet substructure observables (soft drop, N-subjettiness,
                            energy-correlation ratios) as functions over constituent arrays
* :mod:`lhcml.skim`         coffea processor selecting the leading large-R jet, weights,
                            truth labels and the cutflow
* :mod:`lhcml.features`     tagger input features and the deterministic data split

Units: energies, momenta and masses in GeV; cross sections in pb; luminosity in fb^-1.
"""

__version__ = "0.1.0"
