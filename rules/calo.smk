# CaloGAN branch (docs/calo.md, lhcml.calo): reference showers, two generators per particle
# (a GAN and a shape flow, both on the layer energies of one energy flow), the CaloChallenge
# evaluation and timing. Independent of the main analysis chain.
#
#   calo_simulate (per particle x chunk; skipped for particles with calo.files)
#     -> calo_train (GAN for the cells + flow for the layer energies), calo_train_flow
#     -> calo_generate (per generator: showers + timing) -> calo_validate -> calo_plots
#   results/calo/reference/{particle}/{chunk}.h5   results/models/calo/{particle}/
#   results/calo/{particle}/{generator}/{generated.h5,timing.json}
#   results/calo/{particle}/metrics.json   results/plots/calo/{particle}/
#
# The first calo.train_fraction of each particle's showers train the generators; the rest
# are the reference test set, and each generator makes one shower per test-set energy.


include: "helpers/calo.smk"


wildcard_constraints:
    particle="|".join(CALO_PARTICLES) or "none",
    generator="|".join(CALO_GENERATORS),


rule calo_simulate:
    output:
        showers=f"{RESULTS}/calo/reference/{{particle}}/{{chunk}}.h5",
    params:
        n_events=lambda w: calo_chunk_events(w.chunk),
        e_range=CALO_E_RANGE,
        simulator=CALO["simulator"],
        seed=CALO["seed"],
    log:
        f"{RESULTS}/logs/calo/simulate/{{particle}}/{{chunk}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/calo_simulate/{{particle}}/{{chunk}}.tsv"
    threads: 1
    priority: PRIORITY_LONGEST
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        "../envs/calo.yaml"
    script:
        "../scripts/calo_simulate.py"


rule calo_train:
    input:
        reference=calo_reference,
    output:
        model=f"{CALO_MODELS}/generator.keras",
        flow=f"{CALO_MODELS}/energy_flow.npz",
        meta=f"{CALO_MODELS}/meta.json",
    params:
        train_fraction=CALO["train_fraction"],
        e_range=CALO_E_RANGE,
        gan=CALO["gan"],
        energy_flow=CALO["energy_flow"],
        seed=CALO["seed"],
    log:
        f"{RESULTS}/logs/calo/train/{{particle}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/calo_train/{{particle}}.tsv"
    threads: CALO["threads"]
    priority: PRIORITY_LONG
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/calo.yaml"
    script:
        "../scripts/calo_train.py"


rule calo_train_flow:
    input:
        reference=calo_reference,
    output:
        model=f"{CALO_MODELS}/shape_flow.npz",
        meta=f"{CALO_MODELS}/shape_flow.json",
    params:
        train_fraction=CALO["train_fraction"],
        e_range=CALO_E_RANGE,
        shape_flow=CALO["shape_flow"],
        seed=CALO["seed"],
    log:
        f"{RESULTS}/logs/calo/train_flow/{{particle}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/calo_train_flow/{{particle}}.tsv"
    threads: CALO["threads"]
    priority: PRIORITY_LONGEST
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/calo.yaml"
    script:
        "../scripts/calo_train_flow.py"


# Generation and timing share one job: both need the trained generator, and each
# TensorFlow process pays several seconds to start.
rule calo_generate:
    input:
        reference=calo_reference,
        model=calo_model,
        flow=rules.calo_train.output.flow,
        meta=calo_model_meta,
    output:
        showers=f"{RESULTS}/calo/{{particle}}/{{generator}}/generated.h5",
        timing=f"{RESULTS}/calo/{{particle}}/{{generator}}/timing.json",
    params:
        train_fraction=CALO["train_fraction"],
        simulator=CALO["simulator"],
        e_range=CALO_E_RANGE,
        batch_sizes=CALO["timing"]["batch_sizes"],
        repeats=CALO["timing"]["repeats"],
        seed=CALO["seed"],
    log:
        f"{RESULTS}/logs/calo/generate/{{particle}}/{{generator}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/calo_generate/{{particle}}/{{generator}}.tsv"
    threads: CALO["threads"]
    priority: PRIORITY_LONG
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/calo.yaml"
    script:
        "../scripts/calo_generate.py"


# One job evaluates every generator of a particle: the metrics compare them side by side.
rule calo_validate:
    input:
        reference=calo_reference,
        generated=calo_per_generator(rules.calo_generate.output.showers),
        timing=calo_per_generator(rules.calo_generate.output.timing),
        meta=calo_model_metas,
    output:
        metrics=f"{RESULTS}/calo/{{particle}}/metrics.json",
    params:
        generators=CALO_GENERATORS,
        train_fraction=CALO["train_fraction"],
        classifier=CALO["classifier"],
        seed=CALO["seed"],
    log:
        f"{RESULTS}/logs/calo/validate/{{particle}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/calo_validate/{{particle}}.tsv"
    group:
        "calo_validation"
    threads: CALO["threads"]
    priority: PRIORITY_LONG
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/calo.yaml"
    script:
        "../scripts/calo_validate.py"


rule calo_plots:
    input:
        reference=calo_reference,
        generated=calo_per_generator(rules.calo_generate.output.showers),
        gan_meta=rules.calo_train.output.meta,
        flow_meta=rules.calo_train_flow.output.meta,
        metrics=rules.calo_validate.output.metrics,
    output:
        shapes_pdf=f"{CALO_PLOTS}/shower_shapes.pdf",
        shapes_png=calo_plot("shower_shapes", "calo_shower_shapes", "Shower shapes"),
        images_pdf=f"{CALO_PLOTS}/mean_images.pdf",
        images_png=calo_plot("mean_images", "calo_mean_images", "Mean shower images"),
        timing_pdf=f"{CALO_PLOTS}/timing.pdf",
        timing_png=calo_plot("timing", "calo_timing", "Timing"),
        training_pdf=f"{CALO_PLOTS}/training.pdf",
        training_png=calo_plot("training", "calo_training", "Training"),
        metrics_pdf=f"{CALO_PLOTS}/metrics.pdf",
        metrics_png=calo_plot("metrics", "calo_metrics", "Evaluation"),
    params:
        generators=CALO_GENERATORS,
        train_fraction=CALO["train_fraction"],
    log:
        f"{RESULTS}/logs/calo/plots/{{particle}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/calo_plots/{{particle}}.tsv"
    group:
        "calo_validation"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    conda:
        "../envs/calo.yaml"
    script:
        "../scripts/calo_plots.py"


rule calo:
    input:
        expand(rules.calo_validate.output.metrics, particle=CALO_PARTICLES),
        expand(rules.calo_plots.output, particle=CALO_PARTICLES),


if CALO_PARTICLES:
    SUMMARY_INPUTS["calo"] = expand(rules.calo_validate.output.metrics, particle=CALO_PARTICLES)
    STAGE_OUTPUTS.extend(rules.calo.input)
