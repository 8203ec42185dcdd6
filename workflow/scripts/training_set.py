from gengap.warm import delegate

delegate(snakemake)  # in a warm fork that imported torch already (gengap.warm)

from gengap.data.training_set import write_training_set
from gengap.joblog import job_log

log = job_log(snakemake)
wc = snakemake.wildcards
write_training_set(snakemake.input[0], int(wc.n), int(wc.seed), wc.corruption, snakemake.output[0],
                   draw=int(wc.draw), sampling=wc.sampling)
log(f"wrote {wc.corruption} on {wc.n} points of {wc.dataset} (seed {wc.seed}, draw {wc.draw}, "
    f"sampling {wc.sampling})")
