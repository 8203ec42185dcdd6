# Stage 4: one Parquet summary per suite, then its figures.


rule summarize:
    input:
        measures=lambda wc: cell_files(wc.suite, "measures.parquet"),
        records=lambda wc: cell_files(wc.suite, "record.json"),
        histories=lambda wc: cell_files(wc.suite, "history.parquet"),
    output:
        summary=R + "/summary/{suite}.parquet",
        history=R + "/summary/history/{suite}.parquet",
    wildcard_constraints:
        suite=TRAIN_SUITE,
    params:
        code=stage_digest("summary"),
    log:
        R + "/logs/summarize/{suite}.log",
    script:
        "../scripts/summarize.py"


rule slopes:
    input:
        rules.summarize.output.summary,
    output:
        R + "/summary/{suite}_slopes.parquet",
    params:
        code=stage_digest("slopes"),
    log:
        R + "/logs/slopes/{suite}.log",
    script:
        "../scripts/slopes.py"


rule figure:
    input:
        summary=rules.summarize.output.summary,
        history=rules.summarize.output.history,
    output:
        png=R + "/figures/{suite}/{figure}.png",
        pdf=R + "/figures/{suite}/{figure}.pdf",
    wildcard_constraints:
        suite=TRAIN_SUITE,
    params:
        code=stage_digest("figures"),
    log:
        R + "/logs/figures/{suite}/{figure}.log",
    script:
        "../scripts/figure.py"


rule table:
    input:
        rules.summarize.output.summary,
    output:
        parquet=R + "/tables/{suite}/{table}.parquet",
        markdown=R + "/tables/{suite}/{table}.md",
    wildcard_constraints:
        suite=TRAIN_SUITE,
    params:
        delta=lambda wc: measure_options(config, wc.suite)["delta"],
        code=stage_digest("tables"),
    log:
        R + "/logs/tables/{suite}/{table}.log",
    script:
        "../scripts/table.py"
