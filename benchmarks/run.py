"""``make bench``: the performance report, every comparison measured side by side in one
run on this machine.

Writes ``results/benchmarks/report.md`` and ``report.json``. Each section times lhcml
against a reference (bare Pythia, plain uproot, scikit-learn, a numpy + iminuit fit, the
reference shower simulator, QKeras) and gives medians over ``--repeats`` runs and the ratio.
Sections whose inputs do not exist yet (``make run`` makes them) are listed as skipped.

Every figure is put beside the same figure of the committed baseline
(``benchmarks/baseline.json``, a previous report), and a ratio that moved the wrong way by
more than ``--tolerance`` is flagged ``worse`` (see ``compare.py``). ``--write-baseline``
stores this run's report as the new baseline.

    python benchmarks/run.py [--only skim taggers] [--repeats 3] [--write-baseline]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, table
from compare import compare, figures, is_ratio, targets

from lhcml.io import atomic_path, read_json, write_json

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
    parser.add_argument(
        "--baseline", default="benchmarks/baseline.json", help="previous report to compare to"
    )
    parser.add_argument(
        "--tolerance", type=float, default=0.1, help="relative ratio change flagged as worse"
    )
    parser.add_argument(
        "--write-baseline", action="store_true", help="store this report as the new baseline"
    )
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    info = machine()
    report = {
        "machine": info,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "repeats": args.repeats,
        "generation_events": args.events,
        "sections": {},
    }
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
    lines += comparison(report, args)
    out = Path(args.outdir)
    write_json(out / "report.json", report)
    if args.write_baseline:
        keep = ("machine", "date", "repeats", "generation_events", "sections")
        write_json(args.baseline, {k: report[k] for k in keep})
        print(f"[bench] wrote the baseline {args.baseline}")
    with atomic_path(out / "report.md") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    print(f"[bench] wrote {out / 'report.md'} and report.json")


def _cell(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def comparison(report: dict, args) -> list[str]:
    """Add ``ratios``, ``baseline`` and ``comparison`` to ``report``; the Markdown lines."""
    current = figures(report["sections"])
    report["ratios"] = {k: v for k, v in current.items() if is_ratio(k)}
    report["targets"] = targets(report["ratios"])
    base_path = Path(args.baseline)
    if base_path.exists():
        base = read_json(base_path)
        base_figures = figures(base.get("sections", {}))
        report["baseline"] = {
            "path": str(base_path),
            "date": base.get("date"),
            "machine": base.get("machine"),
            "generation_events": base.get("generation_events"),
        }
    else:
        base_figures = {}
        report["baseline"] = None
    rows = compare(current, base_figures, args.tolerance)
    report["comparison"] = rows
    where = (
        f"the baseline {base_path} ({report['baseline']['date']}, "
        f"{report['baseline']['machine']['cpu']})"
        if report["baseline"]
        else f"no baseline ({base_path} does not exist; `--write-baseline` makes one)"
    )
    worse = [r["key"] for r in rows if r["verdict"] == "worse"]
    base_events = (report["baseline"] or {}).get("generation_events")
    if base_events not in (None, args.events) and "generation" in report["sections"]:
        where += (
            f"; note: the baseline generated {base_events} events per run, this run "
            f"{args.events} (Pythia's initialisation weighs more in smaller runs)"
        )
    lines = [
        "",
        "## Against the baseline",
        "",
        f"Every figure of this run beside {where}. A ratio that moved the wrong way by more "
        f"than {args.tolerance:.0%} is marked worse; absolute times depend on the machine "
        "and its load, the ratios much less.",
        "",
        f"Ratios worse than the baseline: {', '.join(worse) if worse else 'none'}.",
        "",
    ]
    if report["targets"]:
        lines += [
            "### Targets",
            "",
            *table(
                ["figure", "this run", "target", "met"],
                [
                    [t["key"], _cell(t["value"]), t["target"], "yes" if t["met"] else "no"]
                    for t in report["targets"]
                ],
            ),
            "",
        ]
    for title, chosen in (
        ("Ratios", [r for r in rows if is_ratio(r["key"])]),
        ("Other figures", [r for r in rows if not is_ratio(r["key"])]),
    ):
        if not chosen:
            continue
        lines += [
            f"### {title}",
            "",
            *table(
                ["figure", "this run", "baseline", "change", ""],
                [
                    [
                        r["key"],
                        _cell(r["value"]),
                        _cell(r["baseline"]),
                        "-" if r["change"] is None else f"{r['change']:+.1%}",
                        r["verdict"],
                    ]
                    for r in chosen
                ],
            ),
            "",
        ]
    return lines


if __name__ == "__main__":
    main()
