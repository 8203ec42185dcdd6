from gengap.joblog import job_log
from gengap.suites import KINDS

log = job_log(snakemake)
kind = KINDS[snakemake.params.kind]
table = kind.summarize({role: list(files) for role, files in snakemake.input.items()}, snakemake.output[0],
                       snakemake.params.suite)
log(f"{len(table)} rows")
