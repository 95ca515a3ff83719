# Helpers of rules/decorrelation.smk: its config section, names and input functions.

from lhcml.decorrelation import DDT_BASES, NN_METHODS

DECOR = config["decorrelate"]
MD_TAGGERS = DECOR["taggers"]
MD_NETWORKS = [t for t in MD_TAGGERS if t in NN_METHODS]
MD_DDT = [t for t in MD_TAGGERS if t in DDT_BASES]
for _t in MD_DDT:
    if DDT_BASES[_t] not in TAGGERS:
        raise WorkflowError(
            f"decorrelate.taggers has {_t}, which transforms the {DDT_BASES[_t]} tagger: "
            f"add {DDT_BASES[_t]} to train.taggers"
        )
DECOR_PLOTS = f"{RESULTS}/plots/decorrelation"
DECOR_TAGGERS = [*TAGGERS, *MD_TAGGERS]


def scan_value_name(value):
    """A scan value (lambda, DDT mass bandwidth) as in paths: 10.0 -> "10", 0.5 -> "0.5"."""
    return f"{float(value):g}"


# R50 vs 1/JSD scans: lambda for the networks, the smooth map's mass bandwidth for the DDTs
SCANS = {m: [scan_value_name(v) for v in DECOR[m]["scan"]] for m in MD_NETWORKS}
SCANS.update({t: [scan_value_name(v) for v in DECOR["ddt"]["scan"]] for t in MD_DDT})
# splits scored at each scan point: test (R50, 1/JSD) and the inference template split (fit)
SCAN_SPLITS = list(dict.fromkeys(["test", config["inference"]["template_split"]]))
SCAN_PARAMETERS = {m: "lambda" if m in MD_NETWORKS else "mass_bandwidth" for m in SCANS}


def decorrelation_summary_input(wildcards):
    """Test scores of every tagger, the decorrelated taggers' meta, the scan folders."""
    return {
        "features": FEATURE_TABLES["test"],
        "scores": [f"{RESULTS}/scores/{t}/test.parquet" for t in DECOR_TAGGERS],
        "metas": [f"{RESULTS}/models/{t}/meta.json" for t in MD_TAGGERS],
        "scan_dirs": [f"{RESULTS}/decorrelation/scan/{m}" for m in SCANS],
    }


def decorrelation_plot_outputs():
    def png(name, caption, subcategory):
        return report_png(f"{DECOR_PLOTS}/{name}.png", caption, "Decorrelation", subcategory)

    return {
        "plane_pdf": f"{DECOR_PLOTS}/r50_vs_inv_jsd.pdf",
        "plane_png": png("r50_vs_inv_jsd", "decorrelation_plane", "R50 vs 1/JSD"),
        "spectra_pdf": [f"{DECOR_PLOTS}/msd_spectra_{t}.pdf" for t in DECOR_TAGGERS],
        "spectra_png": [
            png(f"msd_spectra_{t}", "decorrelation_spectra", "QCD mass spectra")
            for t in DECOR_TAGGERS
        ],
    }
