"""Publish a finished run under ``docs/results/<run-name>/``: the small files a reader needs.

    python -m gengap.publish results docs/results/mnist-full --command "snakemake --cores all ..." \\
        --wall-time 3h12m --report report.html

Copied: every suite summary and slopes table (Parquet), tables (Markdown and Parquet), figures
(PNG), ``overview.md``, ``paper_vs_gengap.md`` and the report if given. Never weights, histories,
training sets, per-cell folders or records: every summary row already carries its cell's status,
device, wall time and code version. ``RUN.md`` states the command, the config (copied beside it),
the wall time, and what the cells' records say: statuses, devices, code and package versions.

A long run stays on its commit while the figure code moves on: ``--redraw suite/figure ...`` draws
those figures again from the run's own summaries (and histories, slopes) with the publishing
checkout's ``gengap.report.figures.draw_figure``, the function the figure jobs call, and
``RUN.md`` says which and at what commit. Nothing is retrained or measured again.

A long run whose suites finish at different times (hours apart, across sessions) can publish the
finished ones first: ``--suites a b`` copies only those suites' summaries, tables, figures and
cell records (``RUN.md`` names them and the suites left out); the run-wide overview and
paper-vs-gengap table then come from ``--refresh``. Publishing the whole run later replaces it.

A run whose results folder was lost (its machine gone) after an interim publication goes on in a new
folder from the same pinned commit: ``RESULTS DEST --join --suites a`` adds the cells of RESULTS'
summaries of those suites to the rows already published in DEST (the new folder's summaries hold
only its cells: ``gengap.interim`` cuts the preset to them). A cell already published is refused (a
cell joins once), as is a summary whose columns differ; ``RUN.md`` keeps what it said and gains a
block for the joined cells (command, wall time, notes, what their records say); then the statistics
are recomputed as by ``--refresh``.

``--refresh docs/results/<run-name>`` recomputes a published run's statistics from its own
published summaries with this checkout's code, as the pipeline's jobs would: slopes (the seed as
the unit), tables, the paper-vs-gengap table and its verdicts, the overview, and every figure it
can draw again (one that needs training histories, which are not published, stays as it was and is
named). ``RUN.md`` gains a line saying what was recomputed, from what, at which commit.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

MAX_BYTES = 5_000_000  # "small files only": a bigger one is refused by name
REPO = Path(__file__).resolve().parents[2]
PAPER_VALUES = REPO / "workflow/report/paper_values.csv"  # the verdicts jobs' paper values
PATTERNS = ["summary/*.parquet", "tables/*/*.md", "tables/*/*.parquet", "figures/*/*.png", "overview.md",
            "paper_vs_gengap.md", "paper_vs_gengap.parquet"]


def _copy(src: Path, dest: Path) -> None:
    if src.stat().st_size > MAX_BYTES:
        raise ValueError(f"{src}: {src.stat().st_size / 1e6:.1f} MB is too large to publish (limit {MAX_BYTES / 1e6:.0f} MB)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)


def _cell_key(values) -> tuple:
    """A cell's identity fields as strings (a record's ``cell`` or a summary row)."""
    from gengap.report.summary import CELL_KEYS

    return tuple(str(values.get(k)) for k in CELL_KEYS)


def _cells(summary) -> set[tuple]:
    from gengap.report.summary import CELL_KEYS

    return {_cell_key(row) for row in summary[CELL_KEYS].to_dict("records")}


def gather_records(results: Path, suites: list[str] | None = None) -> list[dict]:
    """Every cell's record; with ``suites``, those of the cells their summaries hold (a run still
    going has records of cells that no published summary holds yet)."""
    records = [json.loads(p.read_text()) for p in sorted((results / "cells").glob("**/record.json"))]
    if suites is None:
        return records
    import pandas as pd

    held = set().union(*(_cells(pd.read_parquet(results / "summary" / f"{s}.parquet")) for s in suites))
    return [r for r in records if _cell_key(r.get("cell") or {}) in held]


def of_suites(relative: Path, suites: list[str] | None) -> bool:
    """Whether a results file (relative to the folder) is published with ``suites`` (None: all).
    A suite's files are ``summary/<suite>[_slopes|_verdicts].parquet`` and ``tables/<suite>/``,
    ``figures/<suite>/``; run-wide files (the overview, the paper table) only with all suites."""
    if suites is None:
        return True
    parts = relative.parts
    if parts[0] in ("tables", "figures"):
        return parts[1] in suites
    if parts[0] == "summary":
        return any(relative.stem in (s, f"{s}_slopes", f"{s}_verdicts") for s in suites)
    return False


def _counts(values) -> str:
    return ", ".join(f"{k} ({v})" for k, v in sorted(Counter(map(str, values)).items())) or "none recorded"


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h" if seconds == seconds else "not recorded"


def time_by_suite(records: list[dict], results: Path | None = None, suites: list[str] | None = None) -> list[str]:
    """A Markdown table of each suite's cells and their time, summed and the longest: training
    cells as their records state it (every attempt of a resumed cell included), theory cells
    (``theory/<suite>/...``) as their rows' ``seconds`` where they record it."""
    times: dict[str, list[float]] = {}
    for r in records:
        times.setdefault(str((r.get("cell") or {}).get("suite", "?")), []).append(float(r.get("wall_time_s") or 0))
    theory = sorted(p for p in results.glob("theory/*/**/*.parquet")
                    if suites is None or p.relative_to(results / "theory").parts[0] in suites) if results is not None else []
    if theory:
        import pandas as pd  # only here: RUN.md of a run without theory cells needs no pandas
    for path in theory:
        rows = pd.read_parquet(path)
        seconds = float(rows["seconds"].sum()) if "seconds" in rows else float("nan")
        times.setdefault(path.relative_to(results / "theory").parts[0], []).append(seconds)
    lines = ["| suite | cells | time summed over cells | longest cell |", "| --- | --- | --- | --- |"]
    for suite, values in sorted(times.items()):
        known = [v for v in values if v == v]
        total, longest = (sum(known), max(known)) if known else (float("nan"), float("nan"))
        unknown = f" ({len(values) - len(known)} cells not recorded)" if known and len(known) < len(values) else ""
        lines.append(f"| {suite} | {len(values)} | {_hours(total)}{unknown} | {_hours(longest)} |")
    return lines


def drawing_commit(root: Path = REPO) -> str | None:
    """The commit whose code redraws (``git describe --always``), ``-dirty`` only when its code
    (``src/``, ``workflow/``) differs from it: the published folder itself is being rewritten."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=root, timeout=10,
                              check=True).stdout.strip()
    try:
        return git("describe", "--always") + ("-dirty" if git("status", "--porcelain", "--", "src", "workflow") else "")
    except (OSError, subprocess.SubprocessError):
        return None


def redraw(results: Path, dest: Path, figures: list[str]) -> list[Path]:
    """Draw each ``suite/figure`` again into ``dest/figures/`` from ``results``' summary of the
    suite (its history and verdicts where the run wrote them) with this checkout's figure code. A
    run that wrote no verdicts file (it ran before the ``verdicts`` job existed) gets its suite's
    verdicts decided here from its summary and slopes, as the job would."""
    import pandas as pd

    from gengap.atomic import save_parquet
    from gengap.report.figures import draw_figure  # matplotlib only when figures are redrawn
    from gengap.report.paper import suite_rows, write_suite_verdicts

    written = []
    for item in figures:
        suite, _, name = item.partition("/")
        if not suite or not name:
            raise ValueError(f"--redraw {item!r}: expected suite/figure, e.g. bounds_vs_n/bounds_vs_n")
        summary = results / "summary" / f"{suite}.parquet"
        if not summary.is_file():
            raise FileNotFoundError(f"{summary}: no summary of suite {suite!r} to redraw {item} from")
        history = results / "summary" / "history" / f"{suite}.parquet"
        verdicts = results / "summary" / f"{suite}_verdicts.parquet"
        slopes = results / "summary" / f"{suite}_slopes.parquet"
        png = dest / "figures" / suite / f"{name}.png"
        with tempfile.TemporaryDirectory() as tmp:  # drawn aside: the PDF and checksums are not published
            described_summary = f"{tmp}/summary.parquet"
            save_parquet(described(pd.read_parquet(summary)), described_summary)
            if not verdicts.is_file():
                verdicts = Path(tmp) / "verdicts.parquet"
                write_suite_verdicts(suite_rows(str(PAPER_VALUES), suite), suite, described_summary,
                                     str(slopes) if slopes.is_file() else None, str(verdicts))
            draw_figure(name, described_summary, str(history) if history.is_file() else None, f"{tmp}/{name}.png",
                        f"{tmp}/{name}.pdf", str(verdicts))
            _copy(Path(tmp) / f"{name}.png", png)
        written.append(png)
    return written


def run_description(records: list[dict], command: str, wall_time: str, config_name: str,
                    results: Path | None = None, redrawn: list[str] = (), redrawn_at: str | None = None,
                    suites: list[str] | None = None, notes: str = "") -> str:
    """RUN.md: the command and wall time as given, the rest as the cells' records state it; ``notes``
    (lines written by hand: an interim cut, the machine's measured rates, the sessions) follow the wall
    time, so a run published again and again keeps them."""
    left_out = sorted({p.name for d in ("cells", "theory") for p in (results / d).glob("*") if p.is_dir()}
                      - set(suites)) if suites is not None and results is not None else []
    train_s = sum(float(r.get("wall_time_s") or 0) for r in records)
    versions = [", ".join(f"{k} {v}" for k, v in sorted((r.get("versions") or {}).items())) for r in records]
    lines = ["# Run", "", "```", command, "```", "",
             f"- wall time: {wall_time}",
             *notes.strip("\n").splitlines(),
             *([f"- published so far: suites {', '.join(f'`{x}`' for x in suites)}, "
                + "as their summaries stood when this was published; "
                + (f"not yet: {', '.join(f'`{x}`' for x in left_out)} (running when this was published); " if left_out else "")
                + "the cells, times and statuses below are those these summaries hold"] if suites is not None else []),
             f"- cells: {len(records)}; status: {_counts(r.get('status') for r in records)}",
             f"- training time summed over cells: {train_s / 3600:.2f} h",
             f"- devices (cells): {_counts(r.get('device') for r in records)}",
             f"- code (cells): {_counts(r.get('code_version') for r in records)}",
             f"- versions (cells): {_counts(versions)}",
             f"- config: [{config_name}]({config_name})",
             *([f"- figures redrawn at {redrawn_at or 'an unknown commit'} from this run's summaries with that "
                f"commit's `gengap.report.figures.draw_figure` (what the figure jobs call); the run's own "
                f"code drew them otherwise: " + ", ".join(f"`figures/{f}.png`" for f in redrawn)] if redrawn else []),
             "", "Time per suite (each cell's own wall time; cells run side by side, so the sums exceed "
             "the run's wall time):", "",
             *time_by_suite(records, results, suites),
             "", "Per cell (status, device, wall time, code version): the rows of `summary/<suite>.parquet`."]
    return "\n".join(lines) + "\n"


def publish(results: Path, dest: Path, command: str, wall_time: str, config: Path,
            report: Path | None = None, redrawn: list[str] = (), suites: list[str] | None = None,
            notes: str = "") -> list[Path]:
    if not (results / "summary").is_dir():
        raise FileNotFoundError(f"{results}/summary: no summaries; is {results} a finished run's results folder?")
    for suite in suites or []:
        if not (results / "summary" / f"{suite}.parquet").is_file():
            raise FileNotFoundError(f"{results}/summary/{suite}.parquet: suite {suite!r} has no summary (not finished?)")
    written = []
    for pattern in PATTERNS:
        for src in sorted(results.glob(pattern)):
            if not of_suites(src.relative_to(results), suites):
                continue
            _copy(src, dest / src.relative_to(results))
            written.append(dest / src.relative_to(results))
    for extra in (report, config):
        if extra is not None:
            _copy(extra, dest / extra.name)
            written.append(dest / extra.name)
    if redrawn:
        written += redraw(results, dest, list(redrawn))
    (dest / "RUN.md").write_text(run_description(gather_records(results, suites), command, wall_time, config.name,
                                                 results, list(redrawn), drawing_commit() if redrawn else None, suites,
                                                 notes))
    return sorted(set(written)) + [dest / "RUN.md"]


def join(results: Path, dest: Path, suites: list[str], command: str, wall_time: str,
         notes: str = "") -> list[Path]:
    """Add the cells of ``results``' summaries of ``suites`` to those published in ``dest``; RUN.md
    gains a block that describes them; the statistics are then recomputed (``refresh``)."""
    import pandas as pd

    from gengap.report.summary import CELL_KEYS

    if not suites:
        raise ValueError("--join: name the suites whose cells join (--suites)")
    merged = {}
    for suite in suites:
        old_path, new_path = dest / "summary" / f"{suite}.parquet", results / "summary" / f"{suite}.parquet"
        for path in (old_path, new_path):
            if not path.is_file():
                raise FileNotFoundError(f"{path}: suite {suite!r} has no summary here; a join needs the published "
                                        "summary and the new folder's")
        # rows a run wrote before they carried their label and kind get them, as --refresh gives them
        old, new = described(pd.read_parquet(old_path)), described(pd.read_parquet(new_path))
        if set(old.columns) != set(new.columns):
            differ = sorted(set(old.columns) ^ set(new.columns))
            raise ValueError(f"{new_path}: its columns differ from {old_path}'s ({', '.join(differ)}): "
                             "not rows of the same run's summary")
        twice = sorted(_cells(new) & _cells(old))
        if twice:
            cell = ", ".join(f"{k}={v}" for k, v in zip(CELL_KEYS, twice[0]))
            raise ValueError(f"{new_path}: {len(twice)} of its cells are published already in {old_path} "
                             f"(first: {cell}); a cell joins once")
        merged[suite] = pd.concat([old, new[old.columns]], ignore_index=True)
    records = gather_records(results, suites)
    joined = {suite: len(_cells(frame)) for suite, frame in merged.items()}
    block = run_description(records, command, wall_time, "", results, suites=suites, notes=notes).splitlines()
    block = [line for line in block[1:-1] if not line.startswith(("- config:", "- published so far:"))]
    totals = ", ".join(f"of `{s}` now holds {n}" for s, n in joined.items())
    text = (dest / "RUN.md").read_text().rstrip("\n") if (dest / "RUN.md").is_file() else "# Run"
    text += (f"\n\n## Cells joined later: {', '.join(f'`{s}`' for s in suites)}\n\nThese cells were run in "
             f"another results folder and joined to the published summaries at {drawing_commit() or 'an unknown commit'} "
             f"(`gengap.publish --join`): the summary {totals} cells. The lines above describe the cells "
             "published before; these, the cells joined.\n" + "\n".join(block) + "\n")
    with tempfile.TemporaryDirectory() as tmp:  # written aside, then copied: published folders carry no digests
        for suite, frame in merged.items():
            frame.to_parquet(Path(tmp) / f"{suite}.parquet", index=False)
            _copy(Path(tmp) / f"{suite}.parquet", dest / "summary" / f"{suite}.parquet")
    (dest / "RUN.md").write_text(text)
    written, _ = refresh(dest)
    return sorted({*written, *(dest / "summary" / f"{s}.parquet" for s in suites)})


def _suites_of(config_path: Path, dest: Path) -> dict:
    """The suites of a config with the preset the published run's command names merged in."""
    import re

    from gengap.config import apply_preset, read_yaml
    from gengap.interim import SUFFIX

    config = read_yaml(config_path) if config_path.is_file() else {}
    command = (dest / "RUN.md").read_text() if (dest / "RUN.md").is_file() else ""
    preset = re.search(r"preset=(\w+)", command)
    presets = config.get("presets") or {}
    name = preset.group(1) if preset else None
    if name and name not in presets and name.removesuffix(SUFFIX) in presets:  # an interim cut of a preset
        name = name.removesuffix(SUFFIX)  # (gengap.interim) is that preset's suites, cut to fewer cells
    if name in presets:
        config = apply_preset({**config, "preset": name})
    return config.get("suites") or {}


def _measure_options(dest: Path, suite: str) -> dict:
    """The suite's measure options as the published config set them (``gengap.config.measure_options``)."""
    from gengap.config import measure_options, read_yaml

    path = dest / "config.yaml"
    config = read_yaml(path) if path.is_file() else {}
    suites = _suites_of(path, dest)
    return measure_options({"measure_options": config.get("measure_options"),
                            "suites": {suite: suites.get(suite) or {}}}, suite)


def _kinds(dest: Path, suites: list[str]) -> dict[str, str]:
    """Each suite's kind, from the published config and the preset its command names."""
    given = _suites_of(dest / "config.yaml", dest)
    from gengap.suites.kinds import DEFAULT_KIND

    return {s: (given.get(s) or {}).get("kind", DEFAULT_KIND) for s in suites}


def _outputs(dest: Path, suites: list[str], kind: str) -> list[tuple[str, str]]:
    """(suite, name) of every table or figure (``kind``) to recompute: those published, and those
    this checkout's config lists for the run's suites (a figure added since the run)."""
    folder = "tables" if kind == "tables" else "figures"
    published = {(p.parent.name, p.stem) for p in dest.glob(f"{folder}/*/*.{'md' if kind == 'tables' else 'png'}")}
    current = _suites_of(REPO / "config.yaml", dest)
    listed = {(s, name) for s in suites for name in ((current.get(s) or {}).get(kind) or [])}
    return sorted(published | listed)


def described(summary):
    """A summary whose measure rows carry their ``label`` and ``kind`` (``gengap.measures.registry``),
    filled from this checkout's registry where a run wrote none (it ran before rows carried them)."""
    if "measure" not in summary:  # a theory suite's summary: no measure rows
        return summary
    from gengap.measures.registry import describe

    return describe(summary)


def refresh(dest: Path, paper_values: Path = PAPER_VALUES) -> tuple[list[Path], list[str]]:
    """Recompute a published run's slopes, tables, paper-vs-gengap table, overview and figures
    from its own summaries with this checkout's code; returns (files written, figures kept as
    they were, with why)."""
    import pandas as pd

    from gengap.atomic import save_parquet
    from gengap.config import read_yaml, run_commands
    from gengap.report.figures import draw_figure
    from gengap.report.overview import write_overview
    from gengap.report.paper import suite_rows, write_paper_table, write_suite_verdicts
    from gengap.report.slopes import write_slopes
    from gengap.report.tables import write_table

    summaries = sorted(p for p in (dest / "summary").glob("*.parquet") if not p.stem.endswith(("_slopes", "_verdicts")))
    if not summaries:
        raise FileNotFoundError(f"{dest}/summary: no published summaries to recompute from")
    suites = [p.stem for p in summaries]
    written, kept = [], []
    with tempfile.TemporaryDirectory() as tmp:  # a results folder of the published summaries, digests written
        work = Path(tmp)
        for path in summaries:
            save_parquet(described(pd.read_parquet(path)), work / "summary" / path.name)
        fitted = [s for s in suites if (dest / "summary" / f"{s}_slopes.parquet").is_file()]
        for s in fitted:
            write_slopes(str(work / "summary" / f"{s}.parquet"), str(work / "summary" / f"{s}_slopes.parquet"))
        for suite, name in _outputs(dest, suites, "tables"):
            out = work / "tables" / suite
            out.mkdir(parents=True, exist_ok=True)
            write_table(name, str(work / "summary" / f"{suite}.parquet"), str(out / f"{name}.parquet"), str(out / f"{name}.md"),
                        _measure_options(dest, suite))
        paths = {s: str(work / "summary" / f"{s}.parquet") for s in suites}
        slopes = {s: str(work / "summary" / f"{s}_slopes.parquet") for s in fitted}
        commands = run_commands(read_yaml(REPO / "config.yaml"), sorted(set(pd.read_csv(paper_values, dtype=str)["suite"])))
        verdicts = {s: str(work / "summary" / f"{s}_verdicts.parquet") for s in suites}
        for s in suites:  # the published run's datasets were the published ones (RUN.md would say otherwise)
            write_suite_verdicts(suite_rows(str(paper_values), s), s, paths[s], slopes.get(s), verdicts[s])
        write_paper_table(str(paper_values), verdicts, str(work / "paper_vs_gengap.parquet"),
                          str(work / "paper_vs_gengap.md"), commands=commands)
        rankings = {s: str(p) for s in suites if (p := work / "tables" / s / "measure_ranking.parquet").is_file()}
        write_overview(paths, _kinds(dest, suites), slopes, str(work / "overview.md"), str(work / "paper_vs_gengap.parquet"),
                       rankings)
        for suite, name in _outputs(dest, suites, "figures"):
            out = work / "figures" / suite
            out.mkdir(parents=True, exist_ok=True)
            try:
                draw_figure(name, paths[suite], None, str(out / f"{name}.png"), str(out / f"{name}.pdf"),
                            verdicts[suite])
            except Exception as err:  # needs the training histories, which are not published
                kept.append(f"figures/{suite}/{name}.png ({type(err).__name__}: {err})")
        for pattern in ("summary/*.parquet", "tables/*/*.md", "tables/*/*.parquet", "figures/*/*.png",
                        "overview.md", "paper_vs_gengap.md", "paper_vs_gengap.parquet"):
            for src in sorted(work.glob(pattern)):
                _copy(src, dest / src.relative_to(work))
                written.append(dest / src.relative_to(work))
    at = drawing_commit() or "an unknown commit"
    note = (f"- statistics, verdicts, tables, overview and figures recomputed at {at} from this run's published "
            "summaries with that commit's code (slopes with the seed as the unit, claims with the rules of "
            "`gengap.report.verdicts`; each measure row's label and kind from that commit's measure registry "
            "where the run wrote none); no cell was retrained or measured again"
            + (f"; kept as drawn before: {', '.join(kept)}" if kept else ""))
    run = dest / "RUN.md"
    lines = run.read_text().splitlines() if run.is_file() else ["# Run", ""]
    lines = [line for line in lines if not line.startswith(note.split(" at ", 1)[0])]  # the last refresh's
    at_line = next((i for i, line in enumerate(lines) if line.startswith("- config:")), len(lines) - 1)
    lines.insert(at_line + 1, note)
    run.write_text("\n".join(lines) + "\n")
    return written + [run], kept


def main(argv: list[str] | None = None) -> None:
    if argv is None:
        import sys

        argv = sys.argv[1:]
    if argv[:1] == ["--refresh"]:
        for dest in map(Path, argv[1:]):
            files, kept = refresh(dest)
            print(f"recomputed {len(files)} files in {dest}" + (f"; kept as they were: {', '.join(kept)}" if kept else ""))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="the run's results folder")
    parser.add_argument("dest", type=Path, help="docs/results/<run-name>")
    parser.add_argument("--command", required=True, help="the exact command that produced the run")
    parser.add_argument("--wall-time", required=True, help="wall time of the whole run, as measured")
    parser.add_argument("--config", type=Path, default=Path("config.yaml"), help="the config file the run used")
    parser.add_argument("--report", type=Path, help="the run's `snakemake --report` file")
    parser.add_argument("--redraw", nargs="+", default=[], metavar="SUITE/FIGURE",
                        help="figures to draw again from the run's summaries with this checkout's figure code")
    parser.add_argument("--suites", nargs="+", metavar="SUITE",
                        help="publish only these finished suites of a run still going (then --refresh the folder)")
    parser.add_argument("--notes", type=Path, metavar="FILE",
                        help="Markdown lines written by hand for RUN.md, placed after the wall time (an interim "
                             "cut, the machine and its measured rates, the sessions); keep the file beside the run")
    parser.add_argument("--join", action="store_true",
                        help="add the cells of RESULTS' summaries of --suites to those published in DEST (a run "
                             "continued in a new results folder), then recompute the statistics")
    args = parser.parse_args(argv)
    notes = args.notes.read_text() if args.notes else ""
    if args.join:
        if not args.suites:
            parser.error("--join: name the suites whose cells join (--suites)")
        if args.report or args.redraw:
            parser.error("--join: the joined cells' figures are drawn again from the joined summaries; "
                         "--report and --redraw do not apply")
        try:
            files = join(args.results, args.dest, args.suites, args.command, args.wall_time, notes)
        except (ValueError, FileNotFoundError) as err:
            parser.exit(1, f"gengap.publish --join: {err}\n")
        print(f"joined the cells of {args.results} to {args.dest}: {len(files)} files written")
        return
    files = publish(args.results, args.dest, args.command, args.wall_time, args.config, args.report, args.redraw,
                    args.suites, notes)
    total = sum(f.stat().st_size for f in files)
    print(f"published {len(files)} files ({total / 1e6:.1f} MB) to {args.dest}")


if __name__ == "__main__":
    main()
