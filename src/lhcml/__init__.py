"""lhcml: the library behind the lhcml Snakemake workflow.

Subpackages, one stage each (the rule file ``rules/<stage>.smk`` runs
``lhcml.<stage>.workflow``; docs/architecture.md):

* :mod:`lhcml.generate`      Pythia 8 events, parametric detector, FastJet reconstruction,
                             NanoAOD-format ROOT output
* :mod:`lhcml.substructure`  jet substructure observables (soft drop, N-subjettiness,
                             energy-correlation ratios) as functions over constituent arrays
* :mod:`lhcml.skim`          coffea processor selecting the leading large-R jet, weights,
                             truth labels and the cutflow
* :mod:`lhcml.features`      tagger input features and the deterministic data split
* :mod:`lhcml.taggers`       BDT, dense network, Deep Sets and cut-based taggers
* :mod:`lhcml.decorrelation` mass-decorrelated taggers (adversary, DisCo, DDT), R50, 1/JSD
* :mod:`lhcml.inference`     the binned likelihood fit of the jet mass, systematics, AMS
* :mod:`lhcml.trigger`       the L1 trigger branch (QKeras, hls4ml, conifer)
* :mod:`lhcml.calo`          the CaloGAN branch (reference simulator, GAN, flows, evaluation)

Modules shared by the stages: :mod:`lhcml.config` (config schema and validation),
:mod:`lhcml.tables` (the feature and score tables that cross stages), :mod:`lhcml.nanoaod`
(the NanoAOD branch contract), :mod:`lhcml.io` (atomic writes), :mod:`lhcml.logs` (rule
logs), :mod:`lhcml.tf_setup` and :mod:`lhcml.keras_training` (TensorFlow import, Keras
training pieces), :mod:`lhcml.standardize`, :mod:`lhcml.plotting`, :mod:`lhcml.datamc`
(data vs simulation), :mod:`lhcml.summary` (results/summary.json).

Units: energies, momenta and masses in GeV; cross sections in pb; luminosity in fb^-1.
"""

__version__ = "0.1.0"
