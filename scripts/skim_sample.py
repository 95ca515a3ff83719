"""Snakemake script: skim one sample with the coffea processor (see lhcml.skim)."""

import logging

from lhcml.generate import sample_cross_section
from lhcml.logs import log_to_file
from lhcml.skim.processor import Selection
from lhcml.skim.run import skim_sample


def main():
    log_to_file(snakemake.log[0])
    if snakemake.input.meta:  # generated sample: Pythia's cross section, combined over chunks
        xsec_pb, xsec_err_pb = sample_cross_section(snakemake.input.meta)
        logging.getLogger("lhcml.skim").info("cross section %.5g +- %.2g pb", xsec_pb, xsec_err_pb)
    else:
        xsec_pb = snakemake.params.xsec_pb
    skim_sample(
        files=[*snakemake.input.events, *snakemake.params.remote],
        sample_name=snakemake.wildcards.sample,
        xsec_pb=xsec_pb,
        lumi_fb=snakemake.params.lumi_fb,
        cuts=snakemake.params.cuts,
        out_parquet=snakemake.output.jets,
        out_cutflow=snakemake.output.cutflow,
        executor=snakemake.params.executor,
        workers=snakemake.params.workers,
        chunksize=snakemake.params.chunksize,
        dask=snakemake.params.dask,
        sumw=snakemake.params.sumw,
        selection=Selection(
            golden_json=snakemake.params.selection.get("golden_json"),
            hlt_paths=tuple(snakemake.params.selection.get("hlt_paths", ())),
            met_filters=tuple(snakemake.params.selection.get("met_filters", ())),
            jet_id=snakemake.params.selection.get("jet_id"),
        ),
    )


# Dask and futures workers are separate processes that re-import this file: run only once.
if __name__ == "__main__":
    main()
