from gengap.joblog import job_log
from gengap.report.paper import write_paper_table

log = job_log(snakemake)
inputs = dict(snakemake.input.items())
table = write_paper_table(
    snakemake.input.paper_values,
    {k.removeprefix("verdicts_"): v for k, v in inputs.items() if k.startswith("verdicts_")},
    snakemake.output.parquet, snakemake.output.markdown, snakemake.output.html, dict(snakemake.params.commands),
    landing_path=snakemake.output.landing)
log(f"{len(table)} rows: {int(table['gengap_value'].notna().sum())} measured")
