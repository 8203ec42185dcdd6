import subprocess

import pandas as pd
import pytest

from gengap.publish import drawing_commit, time_by_suite


def test_time_by_suite_sums_training_records_and_theory_rows(tmp_path):
    records = [{"cell": {"suite": "bounds_vs_n"}, "wall_time_s": 3600.0},
               {"cell": {"suite": "bounds_vs_n"}, "wall_time_s": 1800.0},
               {"cell": {"suite": "hypersphere"}, "wall_time_s": 9798.0}]
    kernel = tmp_path / "theory/kernel/mnist/rbf/n60000"
    kernel.mkdir(parents=True)
    pd.DataFrame({"seconds": [720.0]}).to_parquet(kernel / "seed0.parquet")
    pd.DataFrame({"seconds": [180.0]}).to_parquet(tmp_path / "theory/kernel/mnist/seed1.parquet")
    expressivity = tmp_path / "theory/expressivity/mnist"
    expressivity.mkdir(parents=True)
    pd.DataFrame({"residual_exact": [0.0]}).to_parquet(expressivity / "depth1.parquet")  # no time recorded
    rows = time_by_suite(records, tmp_path)
    assert rows[2:] == ["| bounds_vs_n | 2 | 1.50 h | 1.00 h |",
                        "| expressivity | 1 | not recorded | not recorded |",
                        "| hypersphere | 1 | 2.72 h | 2.72 h |",
                        "| kernel | 2 | 0.25 h | 0.20 h |"]


def test_drawing_commit_is_dirty_only_when_code_differs(tmp_path):
    """Republishing rewrites the tracked published folder; that is no code edit. An edit in src is."""
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)
    for rel in ("src/m.py", "docs/results/r/RUN.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("a\n")
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "c")
    clean = drawing_commit(tmp_path)
    assert clean and not clean.endswith("-dirty")
    (tmp_path / "docs/results/r/RUN.md").unlink()  # the folder being republished
    assert drawing_commit(tmp_path) == clean
    (tmp_path / "src/m.py").write_text("b\n")
    assert drawing_commit(tmp_path) == clean + "-dirty"


def test_refresh_recomputes_a_published_run_from_its_own_summaries(tmp_path):
    """The published nk-cpu folder: slopes over seeds, claims with their rules, the overview, the
    figures; RUN.md says what was recomputed; a figure that needs histories stays and is named."""
    import shutil

    from gengap.publish import REPO, refresh

    dest = tmp_path / "nk"
    shutil.copytree(REPO / "docs/results/nk-cpu", dest)
    for other in ("bounds_vs_n_batch1", "bounds_vs_n_strict", "hypersphere"):  # one suite is enough
        for path in [*dest.glob(f"summary/{other}*.parquet"), dest / "figures" / other]:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for path in dest.glob("summary/*_slopes.parquet"):
        path.unlink()
        path.touch()  # stale: only its presence says the suite fits slopes
    files, kept = refresh(dest)
    fits = pd.read_parquet(dest / "summary/bounds_vs_n_slopes.parquet").query("pooled").set_index("measure")
    assert fits.loc["bartlett17", "seeds"] == 3 and fits.loc["bartlett17", "ci_high"] < 0
    text = (dest / "paper_vs_gengap.md").read_text()
    assert text.startswith("Verdicts of ") and "95 % interval over seeds of the log-log slope against n > 0" in text
    assert "over seeds with a 95 % interval" in (dest / "overview.md").read_text()
    assert "recomputed at" in (dest / "RUN.md").read_text() and not kept
    assert (dest / "figures/bounds_vs_n/bounds_vs_n.png") in files


def test_the_published_quick_overview_is_what_this_code_writes_from_its_summaries():
    """docs/results/quick (the README's "what to expect") may not go stale: its overview and its
    paper-vs-gengap table are what the current code makes of its own published summaries."""
    import pandas as pd

    from gengap.config import read_yaml, run_commands
    from gengap.publish import REPO, PAPER_VALUES, _kinds
    from gengap.report.overview import overview
    from gengap.report.paper import assemble, suite_verdicts, to_markdown
    from gengap.report.tables import TABLES

    dest = REPO / "docs/results/quick"
    paths = sorted(p for p in (dest / "summary").glob("*.parquet") if not p.stem.endswith(("_slopes", "_verdicts")))
    summaries = {p.stem: pd.read_parquet(p) for p in paths}
    slopes = {s: pd.read_parquet(dest / "summary" / f"{s}_slopes.parquet") for s in summaries
              if (dest / "summary" / f"{s}_slopes.parquet").is_file()}
    values = pd.read_csv(PAPER_VALUES, dtype=str)
    verdicts = {s: suite_verdicts(values, s, summaries[s], slopes.get(s)) for s in summaries}
    for s, table in verdicts.items():  # each suite's claims, decided once, as its figures state them
        assert table.astype(str).equals(pd.read_parquet(dest / "summary" / f"{s}_verdicts.parquet").astype(str)), s
    table = assemble(values, verdicts)
    commands = run_commands(read_yaml(REPO / "config.yaml"), sorted(set(table["suite"])))
    assert (dest / "paper_vs_gengap.md").read_text() == to_markdown(table, commands)
    rankings = {s: TABLES["measure_ranking"](summaries[s]) for s in summaries
                if (dest / "tables" / s / "measure_ranking.parquet").is_file()}
    assert rankings, "the quick preset ranks its measures: the overview states the ranking"
    assert (dest / "overview.md").read_text() == overview(summaries, _kinds(dest, list(summaries)), slopes, table,
                                                          rankings)
    assert "(alexnet_c8)" in (dest / "overview.md").read_text()  # model names whole, not their first letter


def test_redraw_from_a_run_without_verdicts_files_states_the_verdicts(tmp_path):
    """A long run pinned before the ``verdicts`` job existed wrote no verdicts files: ``--redraw``
    decides its suite's verdicts from the summary and slopes, so the figure is the one the
    pipeline draws (byte for byte the published nk-cpu figure, which states 5 claims under it)."""
    import pandas as pd

    from gengap.atomic import save_parquet
    from gengap.publish import REPO, redraw

    published = REPO / "docs/results/nk-cpu"
    results = tmp_path / "results"
    (results / "summary").mkdir(parents=True)
    for name in ("bounds_vs_n_batch1.parquet", "bounds_vs_n_batch1_slopes.parquet"):
        save_parquet(pd.read_parquet(published / "summary" / name), results / "summary" / name)  # with its digest
    [png] = redraw(results, tmp_path / "out", ["bounds_vs_n_batch1/bounds_vs_n"])
    assert png.read_bytes() == (published / "figures/bounds_vs_n_batch1/bounds_vs_n.png").read_bytes()


def test_publishing_the_finished_suites_of_a_run_still_going(tmp_path):
    """--suites: only those suites' summaries, tables, figures and records; RUN.md names what is
    left out; the run-wide overview waits for --refresh. A suite without a summary is refused."""
    import json

    from gengap.publish import publish

    results, dest = tmp_path / "results", tmp_path / "pub"
    files = ["summary/done.parquet", "summary/done_slopes.parquet", "summary/done_verdicts.parquet",
             "summary/going_slopes.parquet", "tables/done/t.md", "tables/going/t.md", "figures/done/f.png",
             "figures/going/f.png", "overview.md", "paper_vs_gengap.md"]
    for rel in files:
        (results / rel).parent.mkdir(parents=True, exist_ok=True)
        (results / rel).write_text(rel)
    from gengap.report.summary import CELL_KEYS

    def cell(suite, n):
        return {k: n if k == "n" else suite if k == "suite" else "x" for k in CELL_KEYS}
    pd.DataFrame([{**cell("done", 64), "measure": "m", "value": 1.0}]).to_parquet(results / "summary/done.parquet")
    # a record of each suite's cell; "done" also has one its summary does not hold (a cell of the
    # run still going, finished after the summary was made): not counted
    for suite, n, seconds in (("done", 64, 10.0), ("done", 128, 60.0), ("going", 64, 3600.0), ("going", 128, 7200.0)):
        folder = results / "cells" / suite / f"n{n}"
        folder.mkdir(parents=True)
        (folder / "record.json").write_text(json.dumps({"cell": cell(suite, n), "status": "fitted",
                                                        "wall_time_s": seconds}))
    (tmp_path / "config.yaml").write_text("x: 1\n")
    publish(results, dest, "snakemake ...", "1h", tmp_path / "config.yaml", suites=["done"])
    published = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert published == ["RUN.md", "config.yaml", "figures/done/f.png", "summary/done.parquet",
                         "summary/done_slopes.parquet", "summary/done_verdicts.parquet", "tables/done/t.md"]
    run = (dest / "RUN.md").read_text()
    assert "published so far: suites `done`, as their summaries stood when this was published; not yet: `going`" in run
    assert "- cells: 1; status: fitted (1)" in run and "| going |" not in run
    assert "| done | 1 | 0.00 h |" in run  # the 10 s cell its summary holds, not the 60 s one
    with pytest.raises(FileNotFoundError, match="going.parquet"):
        publish(results, tmp_path / "pub2", "snakemake ...", "1h", tmp_path / "config.yaml", suites=["going"])


def test_an_interim_cut_is_refreshed_with_the_tables_its_preset_lists_now(tmp_path):
    """A run published as an interim names the cut preset (``<preset>_interim``, written by
    gengap.interim), which the repository's config does not hold: its tables and figures to
    recompute are those the preset it was cut from lists now (a table added since the run)."""
    from gengap.interim import SUFFIX
    from gengap.publish import REPO, _outputs

    dest = tmp_path / "pub"
    (dest / "tables" / "ranking_grid").mkdir(parents=True)
    (dest / "tables" / "ranking_grid" / "measure_ranking.md").write_text("old\n")
    (dest / "RUN.md").write_text(f"# Run\n\n```\nsnakemake --config preset=ranking_grid_cpu{SUFFIX}\n```\n")
    tables = {name for suite, name in _outputs(dest, ["ranking_grid"], "tables")}
    listed = (REPO / "config.yaml").read_text()
    assert "ranking_by_seed" in listed and tables >= {"measure_ranking", "ranking_power", "ranking_by_seed"}
    (dest / "RUN.md").write_text("# Run\n\n```\nsnakemake --config preset=nothing_like_it\n```\n")
    assert {name for _, name in _outputs(dest, ["ranking_grid"], "tables")} == {"measure_ranking"}  # as published


def test_notes_written_by_hand_follow_the_wall_time_in_every_publication(tmp_path):
    """--notes FILE: the lines a person wrote for RUN.md (an interim cut, the machine's rates) come
    right after the wall time, as written, so publishing the next cut of a run keeps them."""
    from gengap.publish import main

    results = tmp_path / "results"
    (results / "summary").mkdir(parents=True)
    (tmp_path / "config.yaml").write_text("x: 1\n")
    notes = tmp_path / "notes.md"
    notes.write_text("- **interim**: seed 0 only\n- machine: 2 CPU cores, 0.095 TFLOP/s a core\n\n")
    for cut in ("pub1", "pub2"):
        main([str(results), str(tmp_path / cut), "--command", "snakemake ...", "--wall-time", "5 h",
              "--config", str(tmp_path / "config.yaml"), "--notes", str(notes)])
        lines = (tmp_path / cut / "RUN.md").read_text().splitlines()
        at = lines.index("- wall time: 5 h")
        assert lines[at + 1:at + 3] == ["- **interim**: seed 0 only", "- machine: 2 CPU cores, 0.095 TFLOP/s a core"]
        assert lines[at + 3].startswith("- cells: ")
    main([str(results), str(tmp_path / "pub3"), "--command", "c", "--wall-time", "1 h",
          "--config", str(tmp_path / "config.yaml")])
    lines = (tmp_path / "pub3" / "RUN.md").read_text().splitlines()
    assert lines[lines.index("- wall time: 1 h") + 1].startswith("- cells: ")  # no notes, nothing added


def test_cells_run_in_a_new_results_folder_join_the_published_ones(tmp_path):
    """--join: a run whose results folder was lost after an interim publication goes on in a new
    one; the new folder's cells join the published rows (the largest n here), RUN.md keeps what it
    said and describes the joined cells, the slopes are fitted again over every n; the same cells
    joined twice, or rows of another summary's columns, are refused and leave the folder as it was."""
    import json
    import shutil

    from gengap.publish import REPO, join, main, refresh
    from gengap.report.summary import CELL_KEYS

    whole = tmp_path / "whole"
    shutil.copytree(REPO / "docs/results/nk-cpu", whole)
    for other in ("bounds_vs_n_batch1", "bounds_vs_n_strict", "hypersphere"):  # one suite is enough
        for path in [*whole.glob(f"summary/{other}*.parquet"), whole / "figures" / other]:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copytree(whole, tmp_path / "pub")
    dest, results = tmp_path / "pub", tmp_path / "results"
    rows = pd.read_parquet(whole / "summary/bounds_vs_n.parquet")
    largest = rows["n"].max()
    rows[rows["n"] < largest].to_parquet(dest / "summary/bounds_vs_n.parquet")  # the interim: all but the largest n
    (results / "summary").mkdir(parents=True)
    # the new folder's run is pinned before rows carried their label and kind: the join fills them
    rows[rows["n"] == largest].drop(columns=["label", "kind"]).to_parquet(results / "summary/bounds_vs_n.parquet")
    for i, cell in enumerate(rows[rows["n"] == largest][CELL_KEYS].drop_duplicates().to_dict("records")):
        (results / "cells" / str(i)).mkdir(parents=True)
        (results / "cells" / str(i) / "record.json").write_text(json.dumps(
            {"cell": cell, "status": "fitted", "wall_time_s": 3600.0, "device": "cpu", "code_version": "abc1234"}))
    before = (dest / "RUN.md").read_text()
    main([str(results), str(dest), "--join", "--suites", "bounds_vs_n", "--command", "snakemake again",
          "--wall-time", "2 h"])
    joined = pd.read_parquet(dest / "summary/bounds_vs_n.parquet")
    # published folders carry no digests: one left beside the summary would not match it once the
    # refresh rewrote it, and gengap's readers would set the published summary aside as corrupt
    assert not list(dest.rglob("*.sha256"))
    key = [*CELL_KEYS, "measure"]
    assert joined.sort_values(key).reset_index(drop=True).equals(rows.sort_values(key).reset_index(drop=True))
    cells = len(rows[rows["n"] == largest][CELL_KEYS].drop_duplicates())
    run = (dest / "RUN.md").read_text()
    assert run.startswith(before.split("- statistics")[0])  # what it said stays
    block = run.split("## Cells joined later: `bounds_vs_n`")[1]
    assert "snakemake again" in block and "- wall time: 2 h" in block
    assert f"- cells: {cells}; status: fitted ({cells})" in block and "- code (cells): abc1234" in block
    refresh(whole)  # the slopes over every n, not over those of the interim: as if published whole
    fits, fits_whole = (pd.read_parquet(d / "summary/bounds_vs_n_slopes.parquet").sort_values(["measure", "seed"])
                        .reset_index(drop=True) for d in (dest, whole))
    assert fits.equals(fits_whole) and fits.query("pooled")["points"].min() == len(rows[CELL_KEYS].drop_duplicates())
    state = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    with pytest.raises(ValueError, match="published already.*a cell joins once"):
        join(results, dest, ["bounds_vs_n"], "c", "1 h")
    rows[rows["n"] == largest].assign(n=2 * largest, extra=1).to_parquet(results / "summary/bounds_vs_n.parquet")
    with pytest.raises(ValueError, match="columns differ.*extra"):
        join(results, dest, ["bounds_vs_n"], "c", "1 h")
    assert {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()} == state
