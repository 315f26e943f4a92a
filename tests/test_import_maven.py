"""The Maven CRM sample imports as it is, and the figures are the published ones."""

from pathlib import Path

import pytest

from squadboard import cli, db
from tests.conftest import assert_same_contents, table_contents

MAVEN = Path(__file__).resolve().parents[2] / "shared" / "data" / "maven_crm"
pytestmark = pytest.mark.skipif(
    not MAVEN.is_dir(), reason="the Maven sample is not beside the repo"
)

PARAMS = {"period_start": "2017-01-01", "period_end": "2018-01-01", "as_of": "2018-01-01"}
SQUADS_2017 = [2251930, 1964750, 1960545, 1603897, 1130049, 1094363]


@pytest.fixture(scope="module")
def maven_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("maven") / "maven.duckdb"
    assert cli.main(["import", str(MAVEN), "--db", str(path), "--as-of", "2017-12-31"]) == 0
    return path


def test_squad_attainment_2017_matches_the_sample(maven_db):
    con = db.connect(maven_db)
    squads = db.run(con, "squad_attainment", **PARAMS)
    assert sorted(squads["credited"].cast(float).to_list(), reverse=True) == SQUADS_2017
    assert sum(SQUADS_2017) == 10_005_534
    # Each manager's team is a squad, in the manager's regional office.
    assert squads.filter(squads["squad"] == "Melvin Marxen")["region"].to_list() == ["Central"]
    con.close()


def test_roster_keeps_the_five_agents_without_deals(maven_db):
    con = db.connect(maven_db)
    roster = db.run(con, "roster", as_of="2017-06-30")
    assert roster.height == 35
    idle = con.execute(
        "select count(*) from reps where rep_id not in (select owner_id from deals)"
    ).fetchone()[0]
    assert idle == 5
    counts = con.execute("select status, count(*) from deals group by 1 order by 1").fetchall()
    assert counts == [("lost", 2473), ("open", 2089), ("won", 4238)]
    con.close()


def test_products_are_normalised_and_ids_keep_leading_zeros(maven_db):
    con = db.connect(maven_db)
    products = {r[0] for r in con.execute("select distinct product from deals").fetchall()}
    assert "GTX Pro" in products and "GTXPro" not in products
    zero = con.execute("select count(*) from deals where source_id like '0%'").fetchone()[0]
    assert zero > 0
    con.close()


def test_importing_twice_changes_no_figure(maven_db, tmp_path, capsys):
    copy = tmp_path / "again.duckdb"
    copy.write_bytes(maven_db.read_bytes())
    con = db.connect(copy)
    before = table_contents(con)
    con.close()
    assert cli.main(["import", str(MAVEN), "--db", str(copy), "--as-of", "2017-12-31"]) == 0
    out, err = capsys.readouterr()
    assert (
        "nothing changed: 6 squads, 35 reps, 35 squad_members" in out
        and "nothing was written" in out
    )
    assert "'GTXPro' read as 'GTX Pro'" in err and "sales_pipeline.csv: maven" in err
    con = db.connect(copy)
    after = table_contents(con)
    for table in ("squads", "reps", "squad_members", "deals", "pipeline_snapshots", "quotas"):
        assert_same_contents({table: before[table]}, after)
    con.close()
