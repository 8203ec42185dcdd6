from gengap.joblog import job_log
from gengap.report.figures import draw_figure

log = job_log(snakemake)
draw_figure(snakemake.wildcards.figure, snakemake.input.summary, snakemake.input.get("history"),
            snakemake.output.png, snakemake.output.pdf, snakemake.input.get("verdicts"))
log(f"drew {snakemake.wildcards.figure}")
