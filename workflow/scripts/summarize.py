from gengap.joblog import job_log
from gengap.report.summary import summarize
from gengap.suites.run import summarize_rows

log = job_log(snakemake)
if "rows" in snakemake.input.keys():  # a computed kind: one row per cell
    table = summarize_rows(list(snakemake.input.rows), snakemake.output[0])
else:
    table = summarize(snakemake.input.measures, snakemake.input.records, snakemake.input.histories,
                      snakemake.output[0], fit_accuracy=snakemake.params.fit_accuracy)
log(f"{len(table)} rows")
