from gengap.joblog import job_log
from gengap.suites.run import summarize_theory

log = job_log(snakemake.log[0])
table = summarize_theory(list(snakemake.input), snakemake.output[0])
log(f"{len(table)} cells")
