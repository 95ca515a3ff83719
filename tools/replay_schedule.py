"""How long a finished run would have taken on N cores under other job orders.

    python tools/replay_schedule.py [--workdir DIR] [--log LOG] [--cores N]

Reads the run's jobs from Snakemake's log (by default the newest one in
DIR/.snakemake/log with finished jobs) and their durations from the benchmark files, and
prints the lower bound (work / cores, or the longest chain) next to the span replayed in
the run's own order, by the rules' `priority:`, and longest-remaining-path first
(lhcml.schedule; docs/performance.md, "Job priorities"). Runs with --quiet write no log.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from lhcml.schedule import durations, read_run_log, replay


def newest_log(workdir: Path) -> Path:
    logs = sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log"), reverse=True)
    for log in logs:
        if "Finished jobid:" in log.read_text():
            return log
    sys.exit(f"no Snakemake log with finished jobs in {workdir / '.snakemake' / 'log'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("."), help="the run's directory")
    parser.add_argument("--log", type=Path, help="a Snakemake log (default: the newest)")
    parser.add_argument("--cores", type=int, default=2, help="cores of the replay (2)")
    args = parser.parse_args()
    log = args.log or newest_log(args.workdir)
    try:
        jobs = read_run_log(log)
    except (OSError, ValueError) as err:
        sys.exit(str(err))
    r = replay(jobs, durations(jobs, args.workdir), args.cores)
    print(f"{log}: {r['jobs']} jobs, {r['work']:.0f} core-s of work")
    rows = [
        (f"work / {r['cores']} cores", r["work"] / r["cores"]),
        ("longest chain (critical path)", r["critical_path"]),
        ("replayed in the run's order", r["as_run"]),
        ("replayed by priority:", r["priorities"]),
        ("replayed longest-path-first", r["longest_path_first"]),
    ]
    for name, seconds in rows:
        print(f"  {name:32s} {seconds:7.0f} s  ({seconds / r['lower_bound']:.3f} x bound)")


if __name__ == "__main__":
    main()
