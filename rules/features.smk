# Stage 3: tagger input features and the train / validation / test split.


rule build_features:
    input:
        jets=expand(rules.skim_sample.output.jets, sample=SAMPLES),
    output:
        train=f"{RESULTS}/features/train.parquet",
        val=f"{RESULTS}/features/val.parquet",
        test=f"{RESULTS}/features/test.parquet",
        summary=f"{RESULTS}/features/summary.json",
    params:
        samples=SAMPLES,
        roles={s: config["samples"][s]["role"] for s in SAMPLES},
        n_constituents=config["features"]["n_constituents"],
        split=config["features"]["split"],
        seed=config["seed"],
    log:
        f"{RESULTS}/logs/features.log",
    benchmark:
        f"{RESULTS}/benchmarks/features.tsv"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../envs/lhcml.yaml"
    script:
        "../scripts/features.py"


rule features:
    input:
        rules.build_features.output,
