"""Snakemake script: numerical profile of a float model -> its hls4ml fixed-point types."""

from lhcml.logs import log_to_file
from lhcml.trigger.plot_steps import profile_float

log_to_file(snakemake.log[0])
profile_float(
    model_path=snakemake.input.model,
    meta_path=snakemake.input.meta,
    train_path=snakemake.input.train,
    precision_path=snakemake.output.precision,
    plot_base=snakemake.output.pdf[: -len(".pdf")],
    hls_params=snakemake.params.hls,
    profile_jets=snakemake.params.hls.get("profile_jets", 5000),
    threads=snakemake.threads,
)
