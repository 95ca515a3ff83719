"""Generation throughput, one core: bare Pythia ``next()`` (the floor) vs the full lhcml
chunk (Pythia + particle extraction + detector + FastJet + substructure + NanoAOD writing),
for QCD and V+jets with multi-parton interactions off and on.

Both run side by side in this process with the same seeds, alternating, ``--repeats``
times. ``ratio`` is the chunk's events/s (everything, Pythia's initialisation included)
over bare ``next()`` events/s (initialisation excluded), in wall time; ``ratio_cpu`` is the
same in CPU time of this process, the per-core figure, which a machine shared with other
work disturbs much less than wall time; ``ratio_cpu_job`` counts Pythia's initialisation
on both sides (a job that only ran Pythia pays it too), which matters at small event counts
only. The chunk's wall time per event is split into its stages (ms/event)."""

from __future__ import annotations

import statistics
import tempfile
import time

from common import table

from lhcml.generate.chunk import generate_chunk
from lhcml.generate.pythia import PythiaGenerator

TITLE = "Generation: lhcml chunk vs bare Pythia"

#: Events of the untimed first chunk (see :func:`run`).
WARMUP_EVENTS = 50


def bare_pythia_rate(process: str, mpi: bool, n: int, seed: int) -> dict:
    """Wall events/s of ``Pythia.next()`` alone (after initialisation), and the CPU seconds
    of the initialisation and of the ``next()`` loop."""
    cpu = time.process_time()
    pythia = PythiaGenerator(process, seed=seed, pthat_min=300.0, mpi=mpi)._pythia
    cpu_init = time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        pythia.next()
    wall, cpu_next = time.perf_counter() - start, time.process_time() - cpu
    return {"ev_s": n / wall, "cpu_init": cpu_init, "cpu_next": cpu_next}


def lhcml_rate(process: str, mpi: bool, n: int, seed: int, workdir: str) -> dict:
    cpu = time.process_time()
    meta = generate_chunk(
        process=process, n_events=n, chunk=0, master_seed=seed, sample_seed=seed,
        pthat_min=300.0, mpi=mpi, out_root=f"{workdir}/b.root", out_meta=f"{workdir}/b.json",
        progress=False,
    )  # fmt: skip
    cpu = time.process_time() - cpu
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
        "cpu": cpu,
        "ms_per_event": {k: 1e3 * v / n for k, v in stages.items()},
    }


def run(args) -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        # The first chunk of a process also pays one-time costs (the reconstruction's
        # imports, loading its compiled kernels from numba's cache: ~0.4 s here). It runs
        # untimed, so that these costs do not fall on whichever configuration comes first;
        # a generation job pays them once per chunk of thousands of events.
        start = time.perf_counter()
        lhcml_rate("qcd", False, WARMUP_EVENTS, 1, workdir)
        warmup = time.perf_counter() - start
        for process in ("qcd", "vjets"):
            for mpi in (False, True):
                bare, full, pythia, cpu, cpu_job, stages = [], [], [], [], [], []
                for r in range(args.repeats):
                    ref = bare_pythia_rate(process, mpi, args.events, 100 + r)
                    bare.append(ref["ev_s"])
                    rate = lhcml_rate(process, mpi, args.events, 100 + r, workdir)
                    full.append(rate["total"])
                    pythia.append(rate["pythia"])
                    cpu.append(ref["cpu_next"] / rate["cpu"])
                    cpu_job.append((ref["cpu_init"] + ref["cpu_next"]) / rate["cpu"])
                    stages.append(rate["ms_per_event"])
                row = {
                    "process": process,
                    "mpi": mpi,
                    "bare_pythia_ev_s": statistics.median(bare),
                    "lhcml_pythia_and_extraction_ev_s": statistics.median(pythia),
                    "lhcml_total_ev_s": statistics.median(full),
                }
                row["ratio"] = row["lhcml_total_ev_s"] / row["bare_pythia_ev_s"]
                row["ratio_cpu"] = statistics.median(cpu)
                row["ratio_cpu_job"] = statistics.median(cpu_job)
                row["ms_per_event"] = {
                    k: statistics.median(s[k] for s in stages) for k in stages[0]
                }
                rows.append(row)
    lines = [
        f"One core; medians of {args.repeats} runs of {args.events} events each, after an "
        f"untimed first chunk of {WARMUP_EVENTS} events ({warmup:.2f} s: the process's "
        "one-time costs).",
        "",
        *table(
            [
                "process",
                "MPI",
                "bare Pythia ev/s",
                "lhcml Pythia+extraction ev/s",
                "lhcml full chunk ev/s",
                "full / bare (wall)",
                "full / bare (CPU)",
                "full / bare (CPU, init on both)",
            ],
            [
                [
                    r["process"],
                    "on" if r["mpi"] else "off",
                    r["bare_pythia_ev_s"],
                    r["lhcml_pythia_and_extraction_ev_s"],
                    r["lhcml_total_ev_s"],
                    r["ratio"],
                    r["ratio_cpu"],
                    r["ratio_cpu_job"],
                ]
                for r in rows
            ],
        ),
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
