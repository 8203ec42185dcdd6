from gengap.joblog import job_log
from gengap.report.paper import write_paper_table

log = job_log(snakemake)
inputs = dict(snakemake.input.items())
table = write_paper_table(
    snakemake.input.paper_values,
    {k.removeprefix("summary_"): v for k, v in inputs.items() if k.startswith("summary_")},
    {k.removeprefix("slopes_"): v for k, v in inputs.items() if k.startswith("slopes_")},
    snakemake.output.parquet, snakemake.output.markdown, snakemake.output.html,
    {k.removeprefix("read_"): v for k, v in inputs.items() if k.startswith("read_")}, dict(snakemake.params.commands),
    landing_path=snakemake.output.landing)
log(f"{len(table)} rows: {int(table['gengap_value'].notna().sum())} measured")
