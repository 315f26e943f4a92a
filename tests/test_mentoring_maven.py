"""Find a mentor on the Maven CRM sample (2017), recomputed from sales_pipeline.csv by hand:
every product cell of skill_profile, the suggestions and their evidence for the three reps
with the lowest overall win rate (product and sector cells, the sector from accounts.csv, which
the import brings), and who knows an account."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pytest

from squadboard import cli, db

MAVEN = Path(__file__).resolve().parents[2] / "shared" / "data" / "maven_crm"
YEAR = {"period_start": "2017-01-01", "period_end": "2018-01-01"}
MIN_DEALS = 10  # the plan's default mentor_min_deals


@pytest.fixture(scope="module")
def maven(tmp_path_factory):
    if not (MAVEN / "sales_pipeline.csv").is_file():
        pytest.skip("the Maven CRM sample is not beside the repository")
    path = tmp_path_factory.mktemp("maven") / "maven.duckdb"
    assert cli.main(["import", str(MAVEN), "--db", str(path), "--as-of", "2017-12-31"]) == 0
    con = db.connect(path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def csv():
    """The closed deals of 2017 as the CSV has them; rep ids as the importer makes them."""
    rows = pl.read_csv(MAVEN / "sales_pipeline.csv", try_parse_dates=True)
    return rows.filter(
        pl.col("deal_stage").is_in(["Won", "Lost"]) & (pl.col("close_date").dt.year() == 2017)
    ).with_columns(
        rep_id=pl.col("sales_agent").str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "."),
        # products spelt with or without a space are one: GTXPro is GTX Pro
        key=pl.col("product").str.to_lowercase().str.replace_all(r"\s+", ""),
        won=pl.col("deal_stage") == "Won",
    )


def wilson_low(won: int, n: int) -> float:
    z, p = 1.96, won / n
    return (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (
        1 + z * z / n
    )


def pct(x: float) -> str:
    return f"{int(Decimal(repr(x * 100)).quantize(Decimal(1), ROUND_HALF_UP))} %"


def product_cells(csv: pl.DataFrame) -> pl.DataFrame:
    return csv.group_by("rep_id", "sales_agent", "key").agg(deals=pl.len(), won=pl.col("won").sum())


def test_every_product_cell_is_the_csvs_count(maven, csv):
    profile = db.run(maven, "skill_profile", **YEAR)
    got = profile.filter(pl.col("dimension") == "product")
    assert set(got["segment"]) == {
        "GTX Basic", "GTX Plus Basic", "GTX Plus Pro", "GTX Pro", "GTK 500", "MG Advanced",
        "MG Special",
    }  # fmt: skip
    got = got.with_columns(key=pl.col("segment").str.to_lowercase().str.replace_all(" ", ""))
    expected = product_cells(csv)
    joined = expected.join(got, on=["rep_id", "key"], how="full", suffix="_got")
    assert joined.height == expected.height == got.height
    assert joined["deals"].eq_missing(joined["deals_got"]).all()
    assert joined["won"].eq_missing(joined["won_got"]).all()
    for row in got.iter_rows(named=True):
        assert row["win_rate"] == pytest.approx(row["won"] / row["deals"])
        assert row["rate_low"] == pytest.approx(wilson_low(row["won"], row["deals"]))
        assert row["rate_low"] <= row["win_rate"] <= row["rate_high"]
    overall = profile.filter(pl.col("dimension") == "overall")
    assert overall["deals"].sum() == 4238 + 2473 and overall["won"].sum() == 4238


def all_cells(csv: pl.DataFrame) -> pl.DataFrame:
    """Every product and sector cell (sector from accounts.csv) of the 2017 closed deals."""
    labels = {"gtxpro": "GTX Pro"} | {
        k: p for k, p in csv.select("key", "product").unique().rows() if k != "gtxpro"
    }
    sectors = pl.read_csv(MAVEN / "accounts.csv").select("account", "sector")
    by_product = csv.with_columns(
        dimension=pl.lit("product"), segment=pl.col("key").replace(labels)
    )
    by_sector = csv.join(sectors, on="account").with_columns(
        dimension=pl.lit("sector"), segment=pl.col("sector")
    )
    cells = (
        pl.concat([by_product.select(COLUMNS), by_sector.select(COLUMNS)])
        .group_by("rep_id", "sales_agent", "dimension", "segment")
        .agg(deals=pl.len(), won=pl.col("won").sum())
        .with_columns(rate=pl.col("won") / pl.col("deals"))
    )
    medians = cells.group_by("dimension", "segment").agg(
        median=pl.coalesce(
            pl.col("rate").filter(pl.col("deals") >= MIN_DEALS).median(), pl.col("rate").median()
        )
    )
    return cells.join(medians, on=["dimension", "segment"])


COLUMNS = ["rep_id", "sales_agent", "dimension", "segment", "won"]


def phrase(dimension: str, segment: str) -> str:
    return f"{segment} deals" if dimension == "product" else f"deals with {segment} accounts"


def expected_suggestions(csv: pl.DataFrame, seeker: str) -> list[tuple[str, str]]:
    """(segment, evidence) of the strongest mentors, worked out from the CSV files alone."""
    cells = all_cells(csv)
    weak = (
        cells.filter(
            (pl.col("rep_id") == seeker)
            & (pl.col("deals") >= MIN_DEALS)
            & (pl.col("rate") < pl.col("median"))
        )
        .with_columns(gap=pl.col("median") - pl.col("rate"))
        .sort(["gap", "deals", "dimension", "segment"], descending=[True, True, False, False])
        .head(3)
    )
    out = []
    for w in weak.iter_rows(named=True):
        mentors = cells.filter(
            (pl.col("dimension") == w["dimension"])
            & (pl.col("segment") == w["segment"])
            & (pl.col("rep_id") != seeker)
            & (pl.col("deals") >= MIN_DEALS)
            & (pl.col("rate") > pl.col("median"))
        ).with_columns(
            low=pl.struct("won", "deals").map_elements(
                lambda s: wilson_low(s["won"], s["deals"]), return_dtype=pl.Float64
            )
        )
        for m in (
            mentors.sort(["low", "deals", "sales_agent"], descending=[True, True, False])
            .head(5)
            .iter_rows(named=True)
        ):
            out.append(
                (
                    w["segment"],
                    f"{m['sales_agent']} won {m['won']} of {m['deals']} "
                    f"{phrase(w['dimension'], w['segment'])} "
                    f"({pct(m['rate'])}, at least {pct(m['low'])}); you won {w['won']} of "
                    f"{w['deals']} ({pct(w['rate'])}); team median {pct(w['median'])}.",
                )
            )
    return out


def test_the_evidence_for_the_three_lowest_win_rates_is_the_csvs(maven, csv):
    overall = csv.group_by("rep_id").agg(rate=pl.col("won").mean()).sort("rate")
    lowest = overall["rep_id"].head(3).to_list()
    assert lowest == ["lajuana.vencill", "markita.hansen", "donn.cantrell"]
    dimensions = set()
    for seeker in lowest:
        got = db.run(maven, "mentor_suggestions", rep_id=seeker, **YEAR)
        dimensions |= set(got["dimension"])
        expected = expected_suggestions(csv, seeker)
        assert len(expected) >= 9, seeker  # three weak cells, mentors in each
        assert got.select("segment", "evidence").rows() == expected, seeker
        assert (got["kind"] == "strongest").all()  # no closed deals in 2016 to improve on
        assert (got["mentor_deals"] >= MIN_DEALS).all() and (got["seeker_deals"] >= MIN_DEALS).all()
        assert seeker not in set(got["mentor_id"])
        for _, cell in got.group_by("segment", maintain_order=True):
            assert 3 <= cell.height <= 5
            assert cell["mentor_low"].to_list() == sorted(cell["mentor_low"], reverse=True)
    assert dimensions == {"product", "sector"}  # no size band: Maven's lost deals have no amount


def test_who_knows_an_account_is_the_csvs_count(maven):
    rows = pl.read_csv(MAVEN / "sales_pipeline.csv", try_parse_dates=True).filter(
        pl.col("account") == "Acme Corporation"
    )
    expected = (
        rows.group_by("sales_agent")
        .agg(
            deals=pl.len(),
            won=(pl.col("deal_stage") == "Won").sum(),
            lost=(pl.col("deal_stage") == "Lost").sum(),
            open=pl.col("deal_stage").is_in(["Prospecting", "Engaging"]).sum(),
            last_close_date=pl.col("close_date").max(),
            products=pl.col("product")
            .replace({"GTXPro": "GTX Pro"})
            .unique()
            .sort()
            .str.join(", "),
        )
        .sort(
            ["won", "last_close_date", "sales_agent"],
            descending=[True, True, False],
            nulls_last=True,
        )
    )
    got = db.run(maven, "account_experience", account="  acme CORPORATION ")
    assert (
        got.drop("rep_id")
        .rename({"rep": "sales_agent"})
        .with_columns(pl.col(c).cast(pl.Int64) for c in ("deals", "won", "lost", "open"))
        .to_dicts()
        == expected.with_columns(
            pl.col(c).cast(pl.Int64) for c in ("deals", "won", "lost", "open")
        ).to_dicts()
    )
