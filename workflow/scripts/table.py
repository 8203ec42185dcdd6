from gengap.joblog import job_log
from gengap.report.tables import write_table

log = job_log(snakemake)
table = write_table(snakemake.wildcards.table, snakemake.input[0], snakemake.output.parquet,
                    snakemake.output.markdown, dict(snakemake.params.options), html_path=snakemake.output.html)
log(f"{len(table)} rows")
