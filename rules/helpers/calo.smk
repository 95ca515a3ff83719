# Helpers of rules/calo.smk: its config section, names and input functions.

# Without a calo section the branch has no particles; its settings are the schema's.
CALO = config["calo"] if "calo" in config else {**schema_defaults("calo"), "particles": []}
CALO_PARTICLES = CALO["particles"]
CALO_FILES = CALO["files"]
CALO_E_RANGE = [CALO["energy_min"], CALO["energy_max"]]
CALO_GENERATORS = CALO["generators"]
CALO_MODELS = f"{RESULTS}/models/calo/{{particle}}"


def calo_events_per_chunk():
    return -(-CALO["events"] // CALO["chunks"])


def calo_chunk_events(chunk):
    per_chunk = calo_events_per_chunk()
    return min(per_chunk, CALO["events"] - per_chunk * int(chunk))


def calo_reference(wildcards):
    """Reference showers of a particle: the CaloGAN files of config, or simulated chunks."""
    if wildcards.particle in CALO_FILES:
        return CALO_FILES[wildcards.particle]
    return [
        f"{RESULTS}/calo/reference/{wildcards.particle}/{chunk}.h5"
        for chunk in range(CALO["chunks"])
    ]


CALO_PLOTS = f"{RESULTS}/plots/calo/{{particle}}"


def calo_plot(name, caption, subcategory):
    return report_png(f"{CALO_PLOTS}/{name}.png", caption, "CaloGAN", subcategory)


# The saved model and its meta (training record) of each generator.
CALO_MODEL_FILES = {
    "gan": (f"{CALO_MODELS}/generator.keras", f"{CALO_MODELS}/meta.json"),
    "flow": (f"{CALO_MODELS}/shape_flow.npz", f"{CALO_MODELS}/shape_flow.json"),
}


def calo_model(wildcards):
    return CALO_MODEL_FILES[wildcards.generator][0].format(particle=wildcards.particle)


def calo_model_meta(wildcards):
    return CALO_MODEL_FILES[wildcards.generator][1].format(particle=wildcards.particle)


def calo_per_generator(pattern):
    """Input function: ``pattern`` (a path with {particle} and {generator}) for every
    generator of config, in the order of config."""

    def inputs(wildcards):
        return [pattern.format(particle=wildcards.particle, generator=g) for g in CALO_GENERATORS]

    return inputs


def calo_model_metas(wildcards):
    """The training records (meta) of every generator of config, in the order of config."""
    return [CALO_MODEL_FILES[g][1].format(particle=wildcards.particle) for g in CALO_GENERATORS]
