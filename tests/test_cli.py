"""The command line: demo, query and native import, as a user runs them."""

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from squadboard import db
from squadboard.cli import main
from tests.conftest import assert_same_contents, table_contents

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "data" / "templates"
Q4 = [
    "--param",
    "period_start=2026-10-01",
    "--param",
    "period_end=2027-01-01",
    "--param",
    "as_of=2026-11-23",
]


def squadboard(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "squadboard", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_demo_then_query_prints_one_row_per_squad(tmp_path):
    path = tmp_path / "x.duckdb"
    made = squadboard("demo", "--db", path, "--today", "2026-11-23")
    assert made.returncode == 0, made.stderr
    out = squadboard("query", "squad_attainment", "--db", path, *Q4)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].split(",")[:7] == [
        "squad_id",
        "squad",
        "quota",
        "credited",
        "attainment",
        "expected_to_date",
        "pace",
    ]
    assert len(lines) == 1 + 4


def test_query_as_json(demo_copy, capsys):
    assert (
        main(
            [
                "query",
                "roster",
                "--db",
                str(demo_copy),
                "--param",
                "as_of=2026-11-23",
                "--format",
                "json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert any(r["rep"] == "Priya Raman" for r in rows)


@pytest.mark.parametrize(
    "args, message",
    [
        (["query", "nope"], "unknown query 'nope'"),
        (["query", "squad_attainment", "--param", "period_start=2026-10-01"], "missing parameter"),
        (["query", "squad_attainment", *Q4, "--param", "as_of=yesterday"], "must be a DATE"),
        (["query", "squad_attainment", "--param", "oops"], "KEY=VALUE"),
    ],
)
def test_query_errors_exit_2_with_a_clear_message(tmp_path, capsys, args, message):
    assert main([*args, "--db", str(tmp_path / "q.duckdb")]) == 2
    assert message in capsys.readouterr().err


def test_db_defaults_to_the_environment_variable(tmp_path):
    env_path = tmp_path / "env.duckdb"
    import os

    env = {**os.environ, "SQUADBOARD_DB": str(env_path)}
    assert squadboard("demo", env=env).returncode == 0
    assert env_path.exists()


def test_native_import_with_one_bad_row_changes_nothing_then_the_fixed_file_imports(
    demo_copy, tmp_path, capsys
):
    good = (TEMPLATES / "reps.csv").read_text()
    lines = good.splitlines()
    lines[2] = lines[2].replace("2022-01-10", "2022-13-45")  # line 3: an impossible date
    bad_file = tmp_path / "reps.csv"
    bad_file.write_text("\n".join(lines) + "\n")
    con = db.connect(demo_copy)
    before = table_contents(con)
    con.close()

    assert main(["import", str(bad_file), "--db", str(demo_copy)]) == 2
    err = capsys.readouterr().err
    assert "reps.csv:3: hire_date: '2022-13-45' is not a date" in err
    assert "nothing was written" in err
    con = db.connect(demo_copy)
    assert_same_contents(before, table_contents(con))
    con.close()

    bad_file.write_text(good)
    assert main(["import", str(bad_file), "--db", str(demo_copy), "--actor", "maya.chen"]) == 0
    con = db.connect(demo_copy)
    log = db.run(con, "import_history")
    assert log.height == 1 and log["actor"][0] == "maya.chen" and log["files"][0] == "reps.csv"
    assert log["rows_written"][0] == 4


def test_dry_run_writes_nothing(demo_copy, capsys):
    con = db.connect(demo_copy)
    before = table_contents(con)
    con.close()
    assert main(["import", str(TEMPLATES), "--db", str(demo_copy), "--dry-run"]) == 0
    assert "would write" in capsys.readouterr().out
    con = db.connect(demo_copy)
    assert_same_contents(before, table_contents(con))


def test_importing_the_templates_twice_changes_no_figure(tmp_path, capsys):
    path = tmp_path / "t.duckdb"
    assert main(["import", str(TEMPLATES), "--db", str(path), "--as-of", "2026-11-23"]) == 0
    con = db.connect(path)
    first = db.run(
        con,
        "squad_attainment",
        period_start="2026-10-01",
        period_end="2027-01-01",
        as_of="2026-11-23",
    )
    counts = {
        t: f.height
        for t, f in table_contents(con).items()
        if t not in ("import_log", "audit_log", "meta")
    }
    con.close()
    assert main(["import", str(TEMPLATES), "--db", str(path), "--as-of", "2026-11-23"]) == 0
    con = db.connect(path)
    again = db.run(
        con,
        "squad_attainment",
        period_start="2026-10-01",
        period_end="2027-01-01",
        as_of="2026-11-23",
    )
    assert again.equals(first)
    assert {t: f.height for t, f in table_contents(con).items() if t in counts} == counts
    assert first["credited"][0] == 48500 and first["quota"][0] == 250000


def test_a_locked_database_gets_a_message_not_a_traceback(tmp_path):
    path = tmp_path / "busy.duckdb"
    shutil.copy(ROOT / "pyproject.toml", path)  # not a database at all
    out = squadboard("query", "roster", "--db", path, "--param", "as_of=2026-11-23")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr


# Issue #11: the CLI's CSV is neutralised like the app's downloads; --db is a Squadboard file


def _kudos_with_a_formula(path) -> str:
    con = db.connect(path)
    message = '=HYPERLINK("https://evil.example/login","Open")'
    con.execute(
        "insert into kudos values ('kx', 'tom.becker', 'priya.raman', null, 'mentoring', ?,"
        " '2026-11-20 10:00')",
        [message],
    )
    con.close()
    return message


KUDOS = ["kudos_feed", "--param", "period_start=2026-11-01", "--param", "period_end=2026-12-01"]


def test_query_csv_neutralises_a_formula_like_the_downloads(demo_copy):
    message = _kudos_with_a_formula(demo_copy)
    out = squadboard("query", *KUDOS, "--db", demo_copy, "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    mine = [r for r in rows if r["kudos_id"] == "kx"]
    assert [r["message"] for r in mine] == ["'" + message]
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values() if v)


def test_query_json_keeps_the_text_exactly(demo_copy):
    message = _kudos_with_a_formula(demo_copy)
    out = squadboard("query", *KUDOS, "--db", demo_copy, "--format", "json")
    assert out.returncode == 0, out.stderr
    mine = [r for r in json.loads(out.stdout) if r["kudos_id"] == "kx"]
    assert [r["message"] for r in mine] == [message]


@pytest.mark.parametrize("command", ["query", "import", "demo"])
def test_a_file_that_is_not_a_squadboard_database_is_refused(tmp_path, command):
    reps = tmp_path / "reps.csv"
    shutil.copy(TEMPLATES / "reps.csv", reps)
    before = reps.read_bytes()
    args = {
        "query": ["query", "roster", "--param", "as_of=2026-11-23"],
        "import": ["import", TEMPLATES / "squads.csv"],
        "demo": ["demo"],
    }[command]
    out = squadboard(*args, "--db", reps)
    assert out.returncode == 2, out.stdout
    assert "is not a Squadboard database" in out.stderr
    assert "Traceback" not in out.stderr and "imported" not in out.stdout
    assert reps.read_bytes() == before  # untouched


def test_a_duckdb_file_of_someone_else_is_refused_and_left_alone(tmp_path):
    import duckdb

    other = tmp_path / "analytics.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table sales as select 1 as x")
    con.close()
    out = squadboard("query", "roster", "--db", other, "--param", "as_of=2026-11-23")
    assert out.returncode == 2 and "not a Squadboard one" in out.stderr
    con = duckdb.connect(str(other), read_only=True)
    tables = con.execute("select table_name from information_schema.tables").fetchall()
    con.close()
    assert tables == [("sales",)]


def test_a_new_file_still_becomes_a_database(tmp_path):
    path = tmp_path / "sub" / "new.duckdb"
    out = squadboard("import", TEMPLATES, "--db", path)
    assert out.returncode == 0, out.stderr
    again = squadboard("query", "roster", "--db", path, "--param", "as_of=2026-11-23")
    assert again.returncode == 0 and again.stdout.count("\n") > 1
