"""Generation throughput, one core: bare Pythia ``next()`` (the floor) vs the full lhcml
chunk (Pythia + particle extraction + detector + FastJet + substructure + NanoAOD writing),
for QCD and V+jets with multi-parton interactions off and on."""

from __future__ import annotations

import statistics
import tempfile
import time

from common import table

from lhcml.generate.chunk import generate_chunk
from lhcml.generate.pythia import PythiaGenerator

TITLE = "Generation: lhcml chunk vs bare Pythia"


def bare_pythia_rate(process: str, mpi: bool, n: int, seed: int) -> float:
    """Events/s of ``Pythia.next()`` alone (after initialisation)."""
    pythia = PythiaGenerator(process, seed=seed, pthat_min=300.0, mpi=mpi)._pythia
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


def run(args) -> dict:
    rows = []
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
                row["ratio"] = row["lhcml_total_ev_s"] / row["bare_pythia_ev_s"]
                rows.append(row)
    lines = [
        f"One core; medians of {args.repeats} runs of {args.events} events each.",
        "",
        *table(
            [
                "process",
                "MPI",
                "bare Pythia ev/s",
                "lhcml Pythia+extraction ev/s",
                "lhcml full chunk ev/s",
                "full / bare",
            ],
            [
                [
                    r["process"],
                    "on" if r["mpi"] else "off",
                    r["bare_pythia_ev_s"],
                    r["lhcml_pythia_and_extraction_ev_s"],
                    r["lhcml_total_ev_s"],
                    r["ratio"],
                ]
                for r in rows
            ],
        ),  # fmt: skip
    ]
    return {"title": TITLE, "results": rows, "lines": lines}
