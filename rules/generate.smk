# Stage 1: event generation (Pythia 8 -> parametric detector -> FastJet -> NanoAOD).
# One job per sample x chunk with its own seeds, so generation parallelises on a cluster.


rule generate_chunk:
    output:
        events=f"{RESULTS}/generated/{{sample}}/{{chunk}}.root",
        meta=f"{RESULTS}/generated/{{sample}}/{{chunk}}.json",
    params:
        sample=lambda w: config["samples"][w.sample],
        n_events=lambda w: chunk_events(w.sample, w.chunk),
        master_seed=config["seed"],
        generator=config["generator"],
        detector=config["detector"],
        reconstruction=config["reconstruction"],
    log:
        f"{RESULTS}/logs/generate/{{sample}}/{{chunk}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/generate_chunk/{{sample}}/{{chunk}}.tsv"
    threads: 1
    priority: PRIORITY_LONGEST
    resources:
        mem_mb=4000,
        runtime=120,
    conda:
        "../envs/generate.yaml"
    script:
        "../scripts/generate_chunk.py"


rule generate:
    input:
        [generated_files(sample, "root") for sample in GENERATED],
