from gengap.warm import delegate

delegate(snakemake)  # in a warm fork that imported torch already (gengap.warm)

from gengap.data.sources import data_root, prepare_dataset
from gengap.joblog import job_log

log = job_log(snakemake)
root = data_root(snakemake.config["data_root"])  # a location, not part of the identity
log(f"decoding {snakemake.wildcards.dataset} from {root}")
prepare_dataset(snakemake.wildcards.dataset, root, snakemake.output.pt,
                allow_modified=snakemake.config["allow_modified_data"], log=log)
log("done")
