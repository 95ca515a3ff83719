"""CaloGAN branch: fast calorimeter simulation with a GAN (docs/physics.md, "CaloGAN branch").

=====================  ==================================================================
module                 job
=====================  ==================================================================
:mod:`.geometry`       the CaloGAN calorimeter: Pb/LAr, three layers, cell grids, materials
:mod:`.showersim`      the reference: a GFlash-style parametrised shower simulator
:mod:`.io`             CaloGAN HDF5 files (``energy``, ``layer_0..2``, ``overflow``)
:mod:`.encoding`       the incident-energy condition, rescaling of layers to given energies
:mod:`.gan`            the energy-conditioned Wasserstein GAN (gradient penalty) per particle
:mod:`.energyflow`     the layer energies p(E_0, E_1, E_2 | E_inc), a conditional MAF
:mod:`.shapeflow`      the second generator: a spline coupling flow for the shower shape
:mod:`.weights`        the flows' saved models (weights, standardisation, parameters; .npz)
:mod:`.showershapes`   the CaloGAN shower-shape features
:mod:`.validation`     CaloChallenge evaluation: classifier AUC/JSD, separation powers
:mod:`.timing`         time per shower of the reference and of the GAN per batch size
:mod:`.plots`          shower shapes with ratio panels, mean images, timing, training curves
:mod:`.workflow`       what the Snakemake scripts call
=====================  ==================================================================

Energies are in GeV, lengths in mm. A shower is the three layer images plus the energy
deposited outside each layer's grid (``overflow``); cell energies are at the
electromagnetic scale (active energy divided by the electron sampling fraction).
"""

from __future__ import annotations

#: Particles of the CaloGAN data sets (file names eplus.hdf5, gamma.hdf5, piplus.hdf5).
PARTICLES: tuple[str, ...] = ("eplus", "gamma", "piplus")

#: Names for plot legends.
DISPLAY_NAMES: dict[str, str] = {"eplus": "$e^{+}$", "gamma": r"$\gamma$", "piplus": r"$\pi^{+}$"}
