# Theory suites (kind: expressivity, kernel): cells that build or solve rather than train.

THEORY_SUITE = "|".join(map(re.escape, suites_of_kind(config, "expressivity", "kernel"))) or "(?!)"


def theory_spec(wc):
    return theory_cells(config, wc.suite)[wc.cell]


def theory_dataset(wc):
    spec = theory_spec(wc)
    return [R + f"/datasets/{spec['dataset']}.pt"] if "dataset" in spec else []


rule theory_cell:
    input:
        theory_dataset,
    output:
        R + "/theory/{suite}/{cell}.parquet",
    wildcard_constraints:
        suite=THEORY_SUITE,
        cell=".+",
    params:
        spec=theory_spec,
        code=stage_digest("theory"),
        device=DEVICE,
    log:
        R + "/logs/theory/{suite}/{cell}.log",
    threads: 2
    resources:
        gpu=USES_GPU,
        mem_mb=16000,
        runtime=120,
    script:
        "../scripts/theory_cell.py"


rule summarize_theory:
    input:
        lambda wc: expand(R + "/theory/{suite}/{cell}.parquet", suite=wc.suite, cell=list(theory_cells(config, wc.suite))),
    output:
        R + "/summary/{suite}.parquet",
    wildcard_constraints:
        suite=THEORY_SUITE,
    params:
        code=stage_digest("theory"),
    log:
        R + "/logs/summarize/{suite}.log",
    script:
        "../scripts/summarize_theory.py"


rule theory_figure:
    input:
        summary=R + "/summary/{suite}.parquet",
    output:
        png=R + "/figures/{suite}/{figure}.png",
        pdf=R + "/figures/{suite}/{figure}.pdf",
    wildcard_constraints:
        suite=THEORY_SUITE,
    params:
        code=stage_digest("figures"),
    log:
        R + "/logs/figures/{suite}/{figure}.log",
    script:
        "../scripts/figure.py"
