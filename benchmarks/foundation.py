"""Foundation benchmarks: generation and skim throughput on this machine, one core each.

Measured side by side in one run (medians over ``--repeats``):

* generation: bare Pythia ``next()`` (the floor) vs the full lhcml chunk (Pythia + particle
  extraction + detector + FastJet + substructure + NanoAOD writing), MPI off and on;
* skim: the coffea skim of generated NanoAOD vs reading the same branches with plain uproot
  (the I/O limit).

Writes ``<outdir>/foundation.json`` and ``<outdir>/foundation.md``. Run with
``make bench`` (after ``make run``, whose generated files the skim part reads).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import uproot

from lhcml.generate.chunk import generate_chunk
from lhcml.generate.pythia import PythiaGenerator
from lhcml.io import atomic_path, write_json
from lhcml.skim.run import skim_sample

SKIM_BRANCHES = ["run", "luminosityBlock", "event", "genWeight", "nFatJet", "FatJet_*",
                 "nGenPart", "GenPart_*", "nPFCands", "PFCands_*", "nFatJetPFCands",
                 "FatJetPFCands_*"]  # fmt: skip


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def bare_pythia_rate(process: str, mpi: bool, n: int, seed: int) -> float:
    """Events/s of ``Pythia.next()`` alone (after initialisation)."""
    gen = PythiaGenerator(process, seed=seed, pthat_min=300.0, mpi=mpi)
    pythia = gen._pythia
    start = time.perf_counter()
    for _ in range(n):
        pythia.next()
    return n / (time.perf_counter() - start)


def lhcml_rate(process: str, mpi: bool, n: int, seed: int, workdir: str) -> dict:
    meta = generate_chunk(
        process=process, n_events=n, chunk=0, master_seed=seed, sample_seed=seed,
        pthat_min=300.0, mpi=mpi, out_root=f"{workdir}/b.root", out_meta=f"{workdir}/b.json",
        progress=False,
    )  # fmt: skip
    return {"total": meta["events_per_second"], "pythia": meta["pythia_events_per_second"]}


def uproot_rate(files: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    n = 0
    for path in files:
        with uproot.open(path) as f:
            arrays = f["Events"].arrays(filter_name=SKIM_BRANCHES)
            n += len(arrays)
    return n / (time.perf_counter() - start), n


def skim_rate(files: list[str], workdir: str) -> float:
    summary = skim_sample(
        files, "bench", xsec_pb=1.0, lumi_fb=1.0,
        cuts={"fatjet_pt_min": 300.0, "fatjet_abs_eta_max": 2.4, "msoftdrop_min": 30.0,
              "msoftdrop_max": 250.0},
        out_parquet=f"{workdir}/s.parquet", out_cutflow=f"{workdir}/s.json",
    )  # fmt: skip
    return summary["events_per_s"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="events per generation run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skim-files", default="results/generated/qcd/*.root")
    parser.add_argument("--outdir", default="results/benchmarks")
    args = parser.parse_args(argv)

    results = {
        "machine": {
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
        },
        "events": args.events,
        "repeats": args.repeats,
        "generation": [],
        "skim": None,
    }
    with tempfile.TemporaryDirectory() as workdir:
        for process in ("qcd", "vjets"):
            for mpi in (False, True):
                bare, full, pythia = [], [], []
                for r in range(args.repeats):
                    bare.append(bare_pythia_rate(process, mpi, args.events, 100 + r))
                    rate = lhcml_rate(process, mpi, args.events, 100 + r, workdir)
                    full.append(rate["total"])
                    pythia.append(rate["pythia"])
                row = {
                    "process": process,
                    "mpi": mpi,
                    "bare_pythia_ev_s": statistics.median(bare),
                    "lhcml_pythia_and_extraction_ev_s": statistics.median(pythia),
                    "lhcml_total_ev_s": statistics.median(full),
                }
                row["ratio_total_to_bare"] = row["lhcml_total_ev_s"] / row["bare_pythia_ev_s"]
                results["generation"].append(row)
                print(json.dumps(row))
        files = sorted(glob.glob(args.skim_files))
        if files:
            up = [uproot_rate(files) for _ in range(args.repeats)]
            sk = [skim_rate(files, workdir) for _ in range(args.repeats)]
            results["skim"] = {
                "files": len(files),
                "events": up[0][1],
                "uproot_read_ev_s": statistics.median(r for r, _ in up),
                "coffea_skim_ev_s": statistics.median(sk),
            }
            results["skim"]["ratio_skim_to_uproot"] = (
                results["skim"]["coffea_skim_ev_s"] / results["skim"]["uproot_read_ev_s"]
            )
            print(json.dumps(results["skim"]))

    out = Path(args.outdir)
    write_json(out / "foundation.json", results)
    m = results["machine"]
    lines = [
        "# Foundation benchmarks",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}; one core per "
        f"measurement; medians of {args.repeats} runs of {args.events} events.",
        "",
        "| process | MPI | bare Pythia next() ev/s | lhcml Pythia+extraction ev/s "
        "| lhcml full chunk ev/s | full / bare |",
        "|---|---|---|---|---|---|",
    ]
    for r in results["generation"]:
        lines.append(
            f"| {r['process']} | {'on' if r['mpi'] else 'off'} | {r['bare_pythia_ev_s']:.0f} | "
            f"{r['lhcml_pythia_and_extraction_ev_s']:.0f} | {r['lhcml_total_ev_s']:.0f} | "
            f"{r['ratio_total_to_bare']:.2f} |"
        )
    if results["skim"]:
        s = results["skim"]
        lines += [
            "",
            f"Skim of {s['events']} generated events ({s['files']} files): coffea skim "
            f"{s['coffea_skim_ev_s']:.0f} ev/s (including input checks and writing) vs plain "
            f"uproot reading the same branches {s['uproot_read_ev_s']:.0f} ev/s "
            f"(ratio {s['ratio_skim_to_uproot']:.2f}).",
        ]
    with atomic_path(out / "foundation.md") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
