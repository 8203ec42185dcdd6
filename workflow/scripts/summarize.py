from gengap.joblog import job_log
from gengap.report.summary import summarize

log = job_log(snakemake.log[0])
table = summarize(snakemake.input.measures, snakemake.input.records, snakemake.input.histories,
                  snakemake.output.summary, snakemake.output.history)
log(f"{len(table)} rows from {len(snakemake.input.records)} cells")
