"""Generation throughput, one core: bare Pythia ``next()`` (the floor) vs the full lhcml
chunk (Pythia + particle extraction + detector + FastJet + substructure + NanoAOD writing),
for QCD and V+jets with multi-parton interactions off and on.

Both run side by side in this process with the same seeds. ``ratio`` is the chunk's
events/s (everything, Pythia's initialisation included) over bare ``next()`` events/s
(initialisation excluded), the issue's figure; ``ratio_job`` counts the initialisation on
both sides (a job that only ran Pythia pays it too), which matters at small event counts
only. The chunk's time per event is split into its stages (ms/event)."""

from __future__ import annotations

import statistics
import tempfile
import time

from common import table

from lhcml.generate.chunk import generate_chunk
from lhcml.generate.pythia import PythiaGenerator

TITLE = "Generation: lhcml chunk vs bare Pythia"


def bare_pythia_rate(process: str, mpi: bool, n: int, seed: int) -> tuple[float, float]:
    """Events/s of ``Pythia.next()`` alone (after initialisation), and the init seconds."""
    start = time.perf_counter()
    pythia = PythiaGenerator(process, seed=seed, pthat_min=300.0, mpi=mpi)._pythia
    init = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(n):
        pythia.next()
    return n / (time.perf_counter() - start), init


def lhcml_rate(process: str, mpi: bool, n: int, seed: int, workdir: str) -> dict:
    meta = generate_chunk(
        process=process, n_events=n, chunk=0, master_seed=seed, sample_seed=seed,
        pthat_min=300.0, mpi=mpi, out_root=f"{workdir}/b.root", out_meta=f"{workdir}/b.json",
        progress=False,
    )  # fmt: skip
    sec = meta["seconds"]
    stages = {
        "init": sec["init"],
        "pythia_and_extraction": sec["generate"],
        "detector_jets_substructure": sec["reconstruct"],
        "write": sec["total"] - sec["init"] - sec["generate"] - sec["reconstruct"],
    }
    return {
        "total": meta["events_per_second"],
        "pythia": meta["pythia_events_per_second"],
        "ms_per_event": {k: 1e3 * v / n for k, v in stages.items()},
    }


def run(args) -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for process in ("qcd", "vjets"):
            for mpi in (False, True):
                bare, full, pythia, job, stages = [], [], [], [], []
                for r in range(args.repeats):
                    rate_bare, init = bare_pythia_rate(process, mpi, args.events, 100 + r)
                    bare.append(rate_bare)
                    rate = lhcml_rate(process, mpi, args.events, 100 + r, workdir)
                    full.append(rate["total"])
                    pythia.append(rate["pythia"])
                    job.append(rate["total"] * (init + args.events / rate_bare) / args.events)
                    stages.append(rate["ms_per_event"])
                row = {
                    "process": process,
                    "mpi": mpi,
                    "bare_pythia_ev_s": statistics.median(bare),
                    "lhcml_pythia_and_extraction_ev_s": statistics.median(pythia),
                    "lhcml_total_ev_s": statistics.median(full),
                }
                row["ratio"] = row["lhcml_total_ev_s"] / row["bare_pythia_ev_s"]
                row["ratio_job"] = statistics.median(job)
                row["ms_per_event"] = {
                    k: statistics.median(s[k] for s in stages) for k in stages[0]
                }
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
                "full / bare, init on both",
            ],
            [
                [
                    r["process"],
                    "on" if r["mpi"] else "off",
                    r["bare_pythia_ev_s"],
                    r["lhcml_pythia_and_extraction_ev_s"],
                    r["lhcml_total_ev_s"],
                    r["ratio"],
                    r["ratio_job"],
                ]
                for r in rows
            ],
        ),  # fmt: skip
        "",
        "Where the chunk's time goes (ms per event; medians):",
        "",
        *table(
            ["process", "MPI", *rows[0]["ms_per_event"]],
            [
                [r["process"], "on" if r["mpi"] else "off", *r["ms_per_event"].values()]
                for r in rows
            ],
        ),
    ]
    return {"title": TITLE, "results": rows, "lines": lines}
