from gengap.data.sources import prepare_dataset
from gengap.joblog import job_log

log = job_log(snakemake.log[0])
log(f"decoding {snakemake.wildcards.dataset} from {snakemake.params.root}")
prepare_dataset(snakemake.wildcards.dataset, snakemake.params.root, snakemake.output[0])
log("done")
