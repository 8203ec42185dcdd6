from gengap.joblog import job_log
from gengap.report.summary import gather_histories

log = job_log(snakemake)
table = gather_histories(snakemake.input.records, snakemake.input.histories, snakemake.output[0])
log(f"{len(table)} epochs from {len(snakemake.input.records)} cells")
