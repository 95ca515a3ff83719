# CaloGAN branch (docs/physics.md "CaloGAN branch", lhcml.calo): reference showers, a GAN
# per particle, validation and timing. Independent of the main analysis chain.
#
#   calo_simulate (per particle x chunk; skipped for particles with calo.files)
#     -> calo_train (GAN for the cells + flow for the layer energies)
#     -> calo_generate (GAN showers + timing) -> calo_validate -> calo_plots
#   results/calo/reference/{particle}/{chunk}.h5   results/models/calo/{particle}/
#   results/calo/{particle}/{generated.h5,timing.json,metrics.json}   results/plots/calo/
#
# The first calo.train_fraction of each particle's showers train the GAN; the rest are the
# reference test set, and the GAN generates one shower per test-set incident energy.


include: "helpers/calo.smk"


wildcard_constraints:
    particle="|".join(CALO_PARTICLES) or "none",


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
        model=f"{RESULTS}/models/calo/{{particle}}/generator.keras",
        flow=f"{RESULTS}/models/calo/{{particle}}/energy_flow.npz",
        meta=f"{RESULTS}/models/calo/{{particle}}/meta.json",
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
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/calo.yaml"
    script:
        "../scripts/calo_train.py"


# Generation and timing share one job: both need the trained generator, and each
# TensorFlow process pays several seconds to start.
rule calo_generate:
    input:
        reference=calo_reference,
        model=rules.calo_train.output.model,
        flow=rules.calo_train.output.flow,
        meta=rules.calo_train.output.meta,
    output:
        showers=f"{RESULTS}/calo/{{particle}}/generated.h5",
        timing=f"{RESULTS}/calo/{{particle}}/timing.json",
    params:
        train_fraction=CALO["train_fraction"],
        simulator=CALO["simulator"],
        e_range=CALO_E_RANGE,
        batch_sizes=CALO["timing"]["batch_sizes"],
        repeats=CALO["timing"]["repeats"],
        seed=CALO["seed"],
    log:
        f"{RESULTS}/logs/calo/generate/{{particle}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/calo_generate/{{particle}}.tsv"
    threads: CALO["threads"]
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/calo.yaml"
    script:
        "../scripts/calo_generate.py"


rule calo_validate:
    input:
        reference=calo_reference,
        generated=rules.calo_generate.output.showers,
        meta=rules.calo_train.output.meta,
        timing=rules.calo_generate.output.timing,
    output:
        metrics=f"{RESULTS}/calo/{{particle}}/metrics.json",
    params:
        train_fraction=CALO["train_fraction"],
        classifier=CALO["classifier"],
        seed=CALO["seed"],
    log:
        f"{RESULTS}/logs/calo/validate/{{particle}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/calo_validate/{{particle}}.tsv"
    threads: CALO["threads"]
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../envs/calo.yaml"
    script:
        "../scripts/calo_validate.py"


rule calo_plots:
    input:
        reference=calo_reference,
        generated=rules.calo_generate.output.showers,
        meta=rules.calo_train.output.meta,
        metrics=rules.calo_validate.output.metrics,
    output:
        shapes_pdf=f"{CALO_PLOTS}/shower_shapes.pdf",
        shapes_png=calo_plot("shower_shapes", "calo_shower_shapes", "Shower shapes"),
        images_pdf=f"{CALO_PLOTS}/mean_images.pdf",
        images_png=calo_plot("mean_images", "calo_mean_images", "Mean shower images"),
        timing_pdf=f"{CALO_PLOTS}/timing.pdf",
        timing_png=calo_plot("timing", "calo_timing", "Timing"),
        training_pdf=f"{CALO_PLOTS}/training.pdf",
        training_png=calo_plot("training", "calo_training", "GAN training"),
    params:
        train_fraction=CALO["train_fraction"],
    log:
        f"{RESULTS}/logs/calo/plots/{{particle}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/calo_plots/{{particle}}.tsv"
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
