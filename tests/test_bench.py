"""The benchmark at its tiny scale, so that it cannot rot: the generator is deterministic and
keeps the rules the queries rely on, the pandas baseline agrees with the named queries, and
the report covers every query, page and budget."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from squadboard import db
from squadboard.bench import generate, measure, run
from squadboard.cli import main
from tests.conftest import TODAY, assert_same_contents, table_contents

TINY = generate.SCALES["tiny"]


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "tiny.duckdb"
    generate.build(path, TINY, TODAY)
    return path


def test_the_generator_is_deterministic(tiny_db, tmp_path):
    again = tmp_path / "again.duckdb"
    generate.build(again, TINY, TODAY)
    first, second = db.connect(tiny_db, read_only=True), db.connect(again, read_only=True)
    try:
        assert_same_contents(table_contents(first), table_contents(second))
    finally:
        first.close()
        second.close()


def test_the_generator_refuses_to_overwrite_a_file(tiny_db):
    with pytest.raises(FileExistsError):
        generate.build(tiny_db, TINY, TODAY)


def test_the_organisation_has_the_size_and_shape_asked_for(tiny_db):
    con = db.connect(tiny_db, read_only=True)
    try:
        rows = generate.counts(con)
        cur = con.cursor()
        weeks = cur.execute("select count(distinct snapshot_date) from pipeline_snapshots")
        assert weeks.fetchone()[0] == generate.WEEKS
        per_squad = cur.execute(
            "select min(n), max(n) from (select count(*) n from squad_members "
            "where valid_to is null group by squad_id)"
        ).fetchone()
        # Revenue splits of every deal total 100 %; overlays never count as revenue.
        split_totals = cur.execute(
            "select count(*) from (select deal_id, sum(percent) t from deal_credits "
            "where credit_type = 'revenue' group by deal_id) where t <> 100"
        ).fetchone()[0]
        kinds = cur.execute("select count(distinct credit_type) from deal_credits").fetchone()[0]
        movers = cur.execute(
            "select count(*) from (select rep_id from squad_members group by rep_id "
            "having count(distinct squad_id) > 1)"
        ).fetchone()[0]
        self_kudos = cur.execute("select count(*) from kudos where from_rep = to_rep").fetchone()[0]
        statuses = {r[0] for r in cur.execute("select distinct status from deals").fetchall()}
    finally:
        con.close()
    assert rows["reps"] == TINY.reps == TINY.squads * generate.SQUAD_SIZE
    assert (rows["squads"], rows["deals"]) == (TINY.squads, TINY.deals)
    assert (rows["activities"], rows["kudos"]) == (TINY.activities, TINY.kudos)
    assert per_squad == (generate.SQUAD_SIZE, generate.SQUAD_SIZE)
    assert split_totals == 0 and kinds == 2
    assert movers > 0 and self_kudos == 0
    assert statuses == {"open", "won", "lost"}


def test_the_import_file_is_a_native_deals_template_the_importer_takes(tiny_db, tmp_path):
    from squadboard.ingest import formats

    target = tmp_path / "deals.csv"
    assert generate.write_import_csv(tiny_db, target, TINY, TODAY) == TINY.import_deals
    batch, chosen = formats.load([(target.name, target.read_bytes())])
    assert batch.ok, batch.errors[:3]
    assert batch.frames["deals"].height == TINY.import_deals
    assert set(chosen.values()) == {"native"}


@pytest.mark.parametrize(
    ("ours", "theirs", "mismatched"),
    [
        ({"k": ["a", "b"], "credited": [1.0, 2.0]}, {"k": ["a", "b"], "credited": [1.0, 2.0]}, []),
        ({"k": ["a", "b"], "credited": [1.0, 2.0]}, {"k": ["a", "b"], "credited": [1.0, 2.5]}, ["credited"]),
        # A rep one side leaves out has zero money there ...
        ({"k": ["a", "b"], "credited": [1.0, 0.0]}, {"k": ["a"], "credited": [1.0]}, []),
        ({"k": ["a", "b"], "credited": [1.0, 3.0]}, {"k": ["a"], "credited": [1.0]}, ["credited"]),
        # ... but an unknown ratio, not a zero one.
        ({"k": ["a"], "attainment": [0.5]}, {"k": ["a"], "attainment": [None]}, ["attainment"]),
        ({"k": ["a"], "attainment": [0.5]}, {"k": ["a"], "attainment": [0.5000001]}, []),
    ],
)  # fmt: skip
def test_answers_are_compared_column_by_column(ours, theirs, mismatched):
    found = measure.compare("v", pl.DataFrame(ours), pl.DataFrame(theirs), "k")
    assert found["checked"]
    assert [m.split(":")[0] for m in found["mismatches"]] == mismatched


def test_an_enumerated_parameter_is_timed_for_every_choice():
    query = db.parse_query(
        "board",
        "-- board: x.\n-- grain: rep\n-- params: $period_start DATE (a), $metric VARCHAR (one of)\n"
        "select $period_start, $metric",
    )
    ctx = {"period_start": date(2026, 10, 1)}
    sets = measure.param_sets(query, ctx)
    assert [p["metric"] for _, p in sets] == measure.CHOICES["metric"]
    assert all(p["period_start"] == date(2026, 10, 1) for _, p in sets)


def test_the_mentor_queries_are_timed_as_a_struggling_rep_uses_them():
    ctx = {
        "period_start": date(2026, 10, 1),
        "period_end": date(2027, 1, 1),
        "window_start": date(2025, 11, 24),
        "window_end": date(2026, 11, 24),
        "rep_id": "leader",
        "seeker_id": "a-rep",
        "account": "Account 7",
    }
    [(_, profile)] = measure.param_sets(db.get_query("skill_profile"), ctx)
    [(_, suggestions)] = measure.param_sets(db.get_query("mentor_suggestions"), ctx)
    [(_, account)] = measure.param_sets(db.get_query("account_experience"), ctx)
    window = {"period_start": date(2025, 11, 24), "period_end": date(2026, 11, 24)}
    assert profile == window and suggestions == window | {"rep_id": "a-rep"}
    assert account == {"account": "Account 7"}


@pytest.mark.parametrize(
    ("report", "missed"),
    [
        ({"pages": [{"page": "p", "warm_s": 0.2, "cold_s": 1.0}]}, []),
        ({"pages": [{"page": "p", "warm_s": 0.31, "cold_s": 1.0}]}, ["page p warm"]),
        ({"pages": [{"page": "p", "warm_s": 0.1, "cold_s": 1.6}]}, ["page p cold"]),
        ({"import": {"total_s": 15.5}}, ["deals import"]),
        ({"import": {"total_s": 1.0, "reimport_rows_kept": 3, "reimport_changed": 0}}, ["deals re-import writes nothing"]),
        ({"wide_file": {"refused_s": 1.2, "refused": True}}, ["wide file refused"]),
        ({"wide_file": {"refused_s": 0.2, "refused": False}}, ["wide file refused"]),
        ({"peak_memory_bytes": 5 * run.GIB}, ["peak memory"]),
        ({"views": {"v": {"ratio": 12.0, "agreement": {"checked": True, "mismatches": ["x"]}}}}, ["view v vs pandas"]),
        ({"views": {"v": {"ratio": 9.0, "agreement": {"checked": True, "mismatches": []}}}}, ["view v vs pandas"]),
        ({"queries": [{"query": "q", "error": "BinderException"}]}, ["query q"]),
    ],
)  # fmt: skip
def test_every_budget_is_judged(report, missed):
    assert [v["what"] for v in run.verdicts(report) if not v["ok"]] == missed


@pytest.mark.parametrize(
    ("report", "missed"),
    [
        ({"empty_page": {"warm_s": 0.2, "cold_s": 0.3},
          "pages": [{"page": "p", "warm_s": 0.29, "cold_s": 0.89}]}, []),
        ({"empty_page": {"warm_s": 0.2, "cold_s": 0.3},
          "pages": [{"page": "p", "warm_s": 0.31, "cold_s": 0.5}]}, ["page p warm ÷ empty page"]),
        ({"empty_page": {"warm_s": 0.2, "cold_s": 0.3},
          "pages": [{"page": "p", "warm_s": 0.2, "cold_s": 0.91}]}, ["page p cold ÷ empty page"]),
        ({"import": {"total_s": 8.1}, "bare_load": {"load_s": 2.0}}, ["deals import ÷ bare load"]),
        ({"import": {"total_s": 7.9}, "bare_load": {"load_s": 2.0}}, []),
        ({"order_lines_import": {"total_s": 9.0}, "order_lines_bare_load": {"load_s": 2.0}},
         ["order lines import ÷ bare load"]),
    ],
)  # fmt: skip
def test_the_ratio_budgets_judge_against_references_of_the_same_run(report, missed):
    assert [v["what"] for v in run.ratio_verdicts(report) if not v["ok"]] == missed


@pytest.mark.parametrize(
    ("engines", "missed"),
    [
        ({"polars": (0.5, []), "duckdb": (0.4, [])}, []),
        ({"polars": (0.05, []), "duckdb": (0.4, [])}, ["view v vs the best baseline (polars)"]),
        ({"polars": (0.5, ["credited differs"]), "duckdb": (0.4, [])},
         ["view v answers agree with polars"]),
    ],
)  # fmt: skip
def test_every_baseline_engine_is_judged(engines, missed):
    agree = {"checked": True, "mismatches": []}
    found = {e: {"compute_s": t, "ratio": t / 0.1, "agreement": {"checked": True, "mismatches": m}}
             for e, (t, m) in engines.items()}  # fmt: skip
    found["pandas"] = {"compute_s": 2.0, "ratio": 20.0, "agreement": agree}
    best = min(found, key=lambda e: found[e]["compute_s"])
    view = {"ratio": 20.0, "agreement": agree, "engines": found, "best": best,
            "ratio_to_best": found[best]["ratio"]}  # fmt: skip
    assert [v["what"] for v in run.verdicts({"views": {"v": view}}) if not v["ok"]] == missed


def test_the_whole_bench_runs_and_agrees_with_pandas(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--scale", "tiny", "--today", TODAY.isoformat(), "--repeat", "1",
                 "--out", str(out), "--work-dir", str(tmp_path / "work")]) == 0  # fmt: skip
    report = json.loads(out.read_text())
    printed = capsys.readouterr().out
    assert "budgets (absolute, set for the large scale):" in printed and "named query" in printed
    assert {q["query"].split("[")[0] for q in report["queries"]} == set(db.query_names())
    assert [p["page"] for p in report["pages"]] == [p for p, _, _ in measure.page_table()] + [
        "pages/mentor.py (as a rep)",  # Find a mentor, timed again as the rep it is for
        "pages/mentoring.py (as a rep)",
        "pages/masterminds.py (as a rep)",  # Masterminds (issue #15), as a rep too
        "pages/meeting.py (as a rep)",  # the weekly meeting, read-only for the rep's squad
        "pages/meeting.py?section=2",  # its bridge and deals that need help, every squad
        "pages/meeting.py?section=4",
    ]
    assert all("problems" not in p for p in report["pages"] if "meeting" in p["page"])
    assert all("problems" not in p for p in report["pages"] if "mentor" in p["page"])
    for view, found in report["views"].items():
        if isinstance(found, dict):
            assert found["agreement"]["checked"], view
            assert found["agreement"]["mismatches"] == [], view
            # issue #19: Polars and DuckDB over the raw tables give the same answers
            assert set(found["engines"]) == {"pandas", "polars", "duckdb"}, view
            for engine, theirs in found["engines"].items():
                assert theirs["agreement"]["checked"], (view, engine)
                assert theirs["agreement"]["mismatches"] == [], (view, engine)
            assert found["best"] in found["engines"]
    # the references the ratio budgets are judged against, timed in the same run
    assert report["empty_page"]["warm_s"] > 0 and report["empty_page"]["cold_s"] > 0
    assert report["bare_load"]["rows"] == TINY.import_deals
    assert report["order_lines_bare_load"]["rows"] == TINY.import_deals
    assert len(report["load_average"]["start"]) == 3 and len(report["load_average"]["end"]) == 3
    assert "budgets as ratios to the references timed in this run:" in printed
    assert "load average" in printed
    # every view the issue names is compared, each through its named query
    assert {"squad_attainment", "rep_attainment", "leaderboard", "pipeline_movement"} <= set(
        report["views"]
    )
    assert report["import"]["rows"] == TINY.import_deals
    assert report["import"]["written"]["deals"] == TINY.import_deals
    assert (report["import"]["reimport_changed"], report["import"]["reimport_rows_kept"]) == (0, 0)
    assert report["wide_file"]["refused"] and report["wide_file"]["columns"] == 1_000_000
    lines = report["order_lines_import"]  # issue #17: one deal per order of 4 lines
    assert lines["rows"] == TINY.import_deals
    assert lines["written"]["deals"] == TINY.import_deals // generate.LINES_PER_ORDER
    assert "order lines import" in printed
    assert report["peak_memory_bytes"] > 0 and report["db_bytes"] > 0
    assert not (tmp_path / "work").exists(), "the work folder is removed unless --keep"


def test_the_order_lines_file_is_one_deal_per_order(tiny_db, tmp_path):
    import shutil

    path = tmp_path / "copy.duckdb"
    shutil.copy(tiny_db, path)
    target = tmp_path / "order_lines.csv"
    assert generate.write_order_lines_csv(path, target, TINY, TODAY) == TINY.import_deals
    lines = pl.read_csv(target)
    found = measure.import_order_lines(path, target, TODAY)
    assert found["written"]["deals"] == lines["SalesOrderNumber"].n_unique()
    con = db.connect(path, read_only=True)
    stored = con.execute("select sum(amount)::double from deals where source = 'erp'").fetchone()
    con.close()
    assert stored[0] == pytest.approx(lines["LineTotal"].sum(), abs=0.005)


def test_a_bad_repeat_is_refused(capsys):
    assert main(["bench", "--scale", "tiny", "--repeat", "0"]) == 2
    assert "--repeat" in capsys.readouterr().err


def test_reuse_needs_the_kept_folder_and_refuses_an_organisation_with_imports(
    tiny_db, tmp_path, capsys
):
    import shutil

    assert main(["bench", "--scale", "tiny", "--reuse"]) == 2
    assert "--work-dir" in capsys.readouterr().err
    work = tmp_path / "kept"
    work.mkdir()
    assert main(["bench", "--scale", "tiny", "--reuse", "--work-dir", str(work)]) == 2
    assert "build afresh" in capsys.readouterr().err  # nothing kept there
    shutil.copy(tiny_db, work / "bench.duckdb")
    for name in ("import_deals.csv", "order_lines.csv"):
        (work / name).write_text("x\n")
    (work / "csv").mkdir()
    con = db.connect(work / "bench.duckdb")
    con.execute(
        "insert into import_log (import_id, imported_at, actor, files, format, rows_read, "
        "rows_written) values (1, now()::timestamp, 'bench', 'a.csv', 'native', 1, 1)"
    )
    con.close()
    assert main(["bench", "--scale", "tiny", "--reuse", "--work-dir", str(work)]) == 2
    assert "imports run on it" in capsys.readouterr().err
