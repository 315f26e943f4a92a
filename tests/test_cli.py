"""The command line: demo, query and native import, as a user runs them."""

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
