# Helpers of rules/calo.smk: its config section, names and input functions.

# Without a calo section the branch has no particles; its settings are the schema's.
CALO = config["calo"] if "calo" in config else {**schema_defaults("calo"), "particles": []}
CALO_PARTICLES = CALO["particles"]
CALO_FILES = CALO["files"]
CALO_E_RANGE = [CALO["energy_min"], CALO["energy_max"]]


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
