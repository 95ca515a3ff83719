# Publishing: results/summary.json (headline numbers of every stage, config hash, package
# versions), its rendering as a results page (results/results.md) and a summary of the
# per-rule benchmark files. The HTML report is Snakemake's:
#   snakemake report && snakemake --report results/report.html   (what `make run` does)


rule report_benchmarks:
    input:
        STAGE_OUTPUTS,
    output:
        table=f"{RESULTS}/benchmarks/summary.csv",
        plot=report(
            f"{RESULTS}/plots/benchmarks/rule_times.png",
            caption="../report/benchmarks.rst",
            category="Benchmarks",
        ),
        timeline=report(
            f"{RESULTS}/plots/benchmarks/timeline.png",
            caption="../report/timeline.rst",
            category="Benchmarks",
        ),
    params:
        benchmark_dir=lambda w, output: os.path.dirname(output.table),
    log:
        f"{RESULTS}/logs/report/benchmarks.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/report.yaml"
    script:
        "../scripts/report_benchmarks.py"


rule report_summary:
    input:
        unpack(lambda w: SUMMARY_INPUTS),
        benchmarks=rules.report_benchmarks.output.table,
    output:
        report(
            f"{RESULTS}/summary.json",
            caption="../report/summary.rst",
            category="Summary",
        ),
    params:
        stages=lambda w: list(SUMMARY_INPUTS),
        config=config,
    log:
        f"{RESULTS}/logs/report/summary.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/report.yaml"
    script:
        "../scripts/report_summary.py"


# summary.json as a page of tables (Markdown; also in the HTML report): the README points
# here instead of quoting numbers.
rule report_page:
    input:
        summary=rules.report_summary.output[0],
    output:
        page=report(
            f"{RESULTS}/results.md",
            caption="../report/report_page.rst",
            category="Summary",
        ),
    log:
        f"{RESULTS}/logs/report/page.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/report.yaml"
    script:
        "../scripts/report_page.py"


rule report:
    input:
        rules.report_summary.output,
        rules.report_page.output,
