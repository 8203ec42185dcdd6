from gengap.joblog import job_log
from gengap.report.slopes import write_slopes

log = job_log(snakemake)
table = write_slopes(snakemake.input[0], snakemake.output[0])
pooled = table[table["pooled"]]
for _, row in pooled.iterrows():
    log(f"{row['model']} {row['measure']}: slope {row['slope']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]")
