"""Skim throughput: the coffea skim of the generated NanoAOD (input checks, selection,
substructure columns, parquet writing) vs reading the same branches with plain uproot, the
I/O limit."""

from __future__ import annotations

import glob
import statistics
import tempfile

import uproot
from common import median_seconds, table

from lhcml.skim.run import skim_sample

TITLE = "Skim: coffea skim vs plain uproot reading"

SKIM_BRANCHES = ["run", "luminosityBlock", "event", "genWeight", "nFatJet", "FatJet_*",
                 "nGenPart", "GenPart_*", "nPFCands", "PFCands_*", "nFatJetPFCands",
                 "FatJetPFCands_*"]  # fmt: skip
CUTS = {"fatjet_pt_min": 300.0, "fatjet_abs_eta_max": 2.4, "msoftdrop_min": 30.0,
        "msoftdrop_max": 250.0}  # fmt: skip


def read_with_uproot(files: list[str]) -> int:
    n = 0
    for path in files:
        with uproot.open(path) as f:
            n += len(f["Events"].arrays(filter_name=SKIM_BRANCHES))
    return n


def run(args) -> dict | None:
    files = sorted(glob.glob(args.skim_files))
    if not files:
        return None
    with tempfile.TemporaryDirectory() as workdir:

        def read() -> int:
            return read_with_uproot(files)

        def skim() -> dict:
            return skim_sample(
                files,
                "bench",
                xsec_pb=1.0,
                lumi_fb=1.0,
                cuts=CUTS,
                out_parquet=f"{workdir}/s.parquet",
                out_cutflow=f"{workdir}/s.json",
            )

        # One untimed call of each first (a process's first skim also pays coffea's
        # imports and first-use costs), then the two alternate, as in the generation section.
        n = read()
        skim()
        t_uproot, t_skim = [], []
        for _ in range(args.repeats):
            t_uproot.append(median_seconds(read, 1)[0])
            t_skim.append(median_seconds(skim, 1)[0])
        t_uproot, t_skim = statistics.median(t_uproot), statistics.median(t_skim)
    result = {
        "files": len(files),
        "events": n,
        "uproot_read_ev_s": n / t_uproot,
        "coffea_skim_ev_s": n / t_skim,
    }
    result["ratio"] = result["coffea_skim_ev_s"] / result["uproot_read_ev_s"]
    lines = [
        f"{n} generated events in {len(files)} files ({args.skim_files}); one core; medians "
        f"of {args.repeats} alternating runs after an untimed one of each.",
        "",
        *table(
            ["coffea skim ev/s", "plain uproot read ev/s", "skim / uproot"],
            [[result["coffea_skim_ev_s"], result["uproot_read_ev_s"], result["ratio"]]],
        ),
    ]
    return {"title": TITLE, "results": result, "lines": lines}
