"""Snakemake script: train the energy-conditioned GAN (lhcml.calo.gan) and the layer-energy
flow (lhcml.calo.energyflow) of one particle."""

from lhcml.calo.workflow import train_gan
from lhcml.logs import log_to_file

log_to_file(snakemake.log[0])
train_gan(
    particle=snakemake.wildcards.particle,
    inputs=snakemake.input.reference,
    train_fraction=snakemake.params.train_fraction,
    e_range=snakemake.params.e_range,
    gan_params=snakemake.params.gan,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    model_path=snakemake.output.model,
    meta_path=snakemake.output.meta,
    flow_params=snakemake.params.energy_flow,
    flow_path=snakemake.output.flow,
)
