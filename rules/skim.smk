# Stage 2: coffea skim of the leading large-R jet, weights, truth labels, cutflow.
# Real NanoAOD samples (simulation files, collision data) also get their data-quality
# selection (golden JSON, HLT, MET filters, jet ID) as cutflow lines (docs/real-data.md).


rule skim_sample:
    input:
        unpack(skim_input),
    output:
        jets=f"{RESULTS}/skim/{{sample}}.parquet",
        cutflow=f"{RESULTS}/skim/{{sample}}.cutflow.json",
    params:
        remote=remote_files,
        xsec_pb=lambda w: config["samples"][w.sample].get("xsec_pb"),
        sumw=lambda w: config["samples"][w.sample].get("sumw"),
        selection=lambda w: skim_selection(w.sample),
        lumi_fb=config["lumi_fb"],
        cuts=skim_cuts(),
        executor=config["skim"]["executor"],
        workers=config["skim"]["workers"],
        chunksize=config["skim"]["chunksize"],
        dask={**config["skim"]["dask"], "workers": config["skim"]["workers"]},
    log:
        f"{RESULTS}/logs/skim/{{sample}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/skim_sample/{{sample}}.tsv"
    threads: skim_threads
    priority: PRIORITY_LONGEST
    resources:
        mem_mb=6000,
        runtime=60,
    conda:
        "../envs/skim.yaml"
    script:
        "../scripts/skim_sample.py"


rule skim:
    input:
        expand(rules.skim_sample.output.jets, sample=SAMPLES),


SUMMARY_INPUTS["skim"] = expand(rules.skim_sample.output.cutflow, sample=SAMPLES)
STAGE_OUTPUTS.extend(rules.skim.input)
