# Stage 4: one Parquet summary per suite, then its slopes, tables and figures. One rule per
# output; what a summary reads depends on the suite's kind.


rule summarize:
    input:
        unpack(summary_inputs),
    output:
        f"{R}/summary/{{suite}}.parquet",
    log:
        f"{R}/logs/summarize/{{suite}}.log",
    conda:
        "../envs/gengap.yaml"
    params:
        kind=lambda wc: suite_kind(wc).name,
        suite=suite_config,
        code=lambda wc: code_digest("summarize", suite_kind(wc).definition()),
    script:
        "../scripts/summarize.py"


rule history:
    input:
        records=lambda wc: cell_files(wc.suite, "record.json"),
        histories=lambda wc: cell_files(wc.suite, "history.parquet"),
    output:
        f"{R}/summary/history/{{suite}}.parquet",
    log:
        f"{R}/logs/history/{{suite}}.log",
    conda:
        "../envs/gengap.yaml"
    params:
        code=code_digest("history"),
    script:
        "../scripts/history.py"


rule slopes:
    input:
        rules.summarize.output,
    output:
        f"{R}/summary/{{suite}}_slopes.parquet",
    log:
        f"{R}/logs/slopes/{{suite}}.log",
    conda:
        "../envs/gengap.yaml"
    params:
        code=code_digest("slopes"),
    script:
        "../scripts/slopes.py"


rule figure:
    input:
        unpack(figure_inputs),
    output:
        png=report(
            f"{R}/figures/{{suite}}/{{figure}}.png",
            caption="../report/figure.rst",
            category="{suite}",
            labels={"suite": "{suite}", "figure": "{figure}"},
        ),
        pdf=f"{R}/figures/{{suite}}/{{figure}}.pdf",
    log:
        f"{R}/logs/figures/{{suite}}/{{figure}}.log",
    conda:
        "../envs/gengap.yaml"
    params:
        code=lambda wc: code_digest("figure", FIGURES.definition(wc.figure)),
        description=lambda wc: FIGURES.describe(wc.figure),
    script:
        "../scripts/figure.py"


rule table:
    input:
        rules.summarize.output,
    output:
        parquet=f"{R}/tables/{{suite}}/{{table}}.parquet",
        markdown=f"{R}/tables/{{suite}}/{{table}}.md",
        html=report(
            f"{R}/tables/{{suite}}/{{table}}.html",
            caption="../report/table.rst",
            category="{suite}",
            labels={"suite": "{suite}", "table": "{table}"},
        ),
    log:
        f"{R}/logs/tables/{{suite}}/{{table}}.log",
    conda:
        "../envs/gengap.yaml"
    params:
        options=lambda wc: plan_of(wc.suite).measure_options.as_params(),
        code=lambda wc: code_digest("table", TABLES.definition(wc.table)),
        description=lambda wc: TABLES.describe(wc.table),
    script:
        "../scripts/table.py"


rule overview:
    input:
        unpack(overview_inputs),
        paper=f"{R}/paper_vs_gengap.parquet",
    output:
        f"{R}/overview.md",
    log:
        f"{R}/logs/overview.log",
    conda:
        "../envs/gengap.yaml"
    params:
        kinds={suite: cfg["kind"] for suite, cfg in config["suites"].items()},
        code=code_digest(
            "overview",
            *[kind_of(cfg).definition() for cfg in config["suites"].values()],
        ),
    script:
        "../scripts/overview.py"


# The papers' claims about one suite, decided once from its summary (gengap.report.paper): the
# figures of the suite and the paper-vs-gengap table read them. The suite's paper values are a
# param: editing one reruns only its suite's verdicts, its figures and the table.
rule verdicts:
    input:
        unpack(verdict_inputs),
    output:
        f"{R}/summary/{{suite}}_verdicts.parquet",
    log:
        f"{R}/logs/verdicts/{{suite}}.log",
    conda:
        "../envs/gengap.yaml"
    params:
        paper_values=lambda wc: paper_rows(wc.suite),
        code=code_digest("verdicts", *QUANTITIES.definitions()),
    script:
        "../scripts/verdicts.py"


# Every number and claim of both papers beside what this run measured (values and sources:
# workflow/report/paper_values.csv): each suite's verdicts, and "not run" for the suites absent.
rule paper_vs_gengap:
    input:
        unpack(every_verdict),
        paper_values=PAPER_VALUES,
    output:
        parquet=f"{R}/paper_vs_gengap.parquet",
        markdown=f"{R}/paper_vs_gengap.md",
        html=report(
            f"{R}/paper_vs_gengap.html",
            caption="../report/paper_vs_gengap.rst",
            category="paper vs gengap",
        ),
        landing=f"{R}/paper_vs_gengap_landing.html",
    log:
        f"{R}/logs/paper_vs_gengap.log",
    conda:
        "../envs/gengap.yaml"
    params:
        commands=claim_commands(),
        code=code_digest("paper_vs_gengap"),
    script:
        "../scripts/paper_vs_gengap.py"
