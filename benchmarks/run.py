"""``make bench``: the performance report, every comparison measured side by side in one
run on this machine.

Writes ``results/benchmarks/report.md`` and ``report.json``. Each section times lhcml
against a reference (bare Pythia, plain uproot, scikit-learn, a numpy + iminuit fit, the
reference shower simulator, QKeras) and gives medians over ``--repeats`` runs and the ratio.
Sections whose inputs do not exist yet (``make run`` makes them) are listed as skipped.

    python benchmarks/run.py [--only skim taggers] [--repeats 3]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine  # noqa: E402

from lhcml.io import atomic_path, write_json  # noqa: E402

#: Section modules of this directory, in report order.
SECTIONS = ["generation", "skim", "taggers", "inference", "calo", "trigger", "e2e"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="sections to run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per median")
    parser.add_argument("--events", type=int, default=1000, help="events per generation run")
    parser.add_argument("--config", default="config/config.yaml", help="the analysis config")
    parser.add_argument("--results", default="results", help="results of `make run`")
    parser.add_argument("--skim-files", default="results/generated/qcd/*.root")
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="for end-to-end runs")
    parser.add_argument("--outdir", default="results/benchmarks")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    info = machine()
    report = {"machine": info, "repeats": args.repeats, "sections": {}}
    lines = [
        "# lhcml benchmarks",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}; "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}. Medians of {args.repeats} runs unless stated.",
    ]
    for name in args.only or SECTIONS:
        print(f"[bench] {name} ...", flush=True)
        start = time.perf_counter()
        section = importlib.import_module(name).run(args)
        seconds = time.perf_counter() - start
        if section is None:
            print(f"[bench] {name}: skipped (inputs missing; run `make run` first)", flush=True)
            lines += ["", f"## {name}", "", "Skipped: its inputs do not exist (`make run`)."]
            continue
        report["sections"][name] = section["results"]
        lines += ["", f"## {section['title']}", "", *section["lines"]]
        print("\n".join(section["lines"]), f"\n[bench] {name}: {seconds:.0f} s", flush=True)
    out = Path(args.outdir)
    write_json(out / "report.json", report)
    with atomic_path(out / "report.md") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    print(f"[bench] wrote {out / 'report.md'} and report.json")


if __name__ == "__main__":
    main()
