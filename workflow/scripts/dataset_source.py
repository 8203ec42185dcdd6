from gengap.atomic import save_json
from gengap.joblog import job_log

log = job_log(snakemake)
save_json({"dataset": snakemake.wildcards.dataset, "identity": snakemake.params.data}, snakemake.output[0])
log(f"source of {snakemake.wildcards.dataset}: {snakemake.params.data}")
