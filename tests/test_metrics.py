"""Python rules in squadboard.metrics: they mirror the SQL on every squad of the demo, and the
payout and what-if arithmetic is checked by hand."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from squadboard import db, metrics, periods
from squadboard.plan import Plan

Q4 = periods.parse("2026-Q4")
AS_OF = date(2026, 11, 23)


def test_python_rules_mirror_squad_attainment_on_the_demo(demo_con):
    squads = db.run(demo_con, "squad_attainment", **Q4.params(AS_OF))
    assert squads.height >= 2
    elapsed = periods.elapsed_fraction(Q4, AS_OF)
    for row in squads.iter_rows(named=True):
        quota = None if row["quota"] is None else float(row["quota"])
        att = metrics.attainment(float(row["credited"]), quota)
        assert att == pytest.approx(row["attainment"])
        assert metrics.pace(att, elapsed) == pytest.approx(row["pace"])
        assert metrics.status(metrics.pace(att, elapsed)) == row["status"]
        assert metrics.expected_to_date(quota, Q4, AS_OF) == pytest.approx(
            float(row["expected_to_date"]), abs=0.01
        )
        assert metrics.needed_per_week(quota, float(row["credited"]), Q4, AS_OF) == pytest.approx(
            float(row["needed_per_week"]), abs=0.01
        )


@pytest.mark.parametrize(
    "pace, status",
    [(None, None), (1.0, "ahead"), (0.9, "on track"), (0.8999, "behind"), (0.0, "behind")],
)
def test_status_thresholds_match_the_sql_macro(con, pace, status):
    assert metrics.status(pace) == status
    sql = con.cursor().execute("select pace_status(?::double)", [pace]).fetchone()[0]
    assert sql == status


PLAN = Plan(target_bonus=10_000, threshold=0.5, accelerator=2.0, cap=1.5)


@pytest.mark.parametrize(
    "squad, personal, expected",
    [
        (1.0, 1.0, 10_000),  # on target everywhere
        (0.4, 1.0, 4_000),  # squad below threshold pays nothing; personal 40 %
        (0.5, 0.5, 5_000),  # at the threshold: linear
        (1.1, 0.8, 6_000 * 1.2 + 4_000 * 0.8),  # accelerator: 110 % pays 120 %
        (3.0, 3.0, 15_000),  # capped at 150 %
        (None, 1.0, 4_000),  # no squad quota: the team part pays nothing
    ],
)
def test_payout_blends_squad_and_personal(squad, personal, expected):
    assert metrics.payout(squad, personal, PLAN, Q4) == pytest.approx(expected)
    assert metrics.payout(squad, personal, PLAN, periods.parse("2026-11")) == pytest.approx(
        expected / 3
    )


def _rows(quota=10_000, credited=6_000, target=4_000, mine=2_000):
    squad = {"credited": credited, "quota": quota}
    me = {"credited": mine, "stretch_target": target}
    return squad, me


def test_what_if_moves_squad_me_and_payout_together():
    squad, me = _rows()
    now = metrics.outlook(squad, me, PLAN, Q4, AS_OF)
    then = metrics.outlook(squad, me, PLAN, Q4, AS_OF, 3_000)
    assert (now.squad_attainment, now.my_attainment) == (0.6, 0.5)
    assert (then.squad_attainment, then.my_attainment) == (0.9, 1.25)
    assert now.payout == pytest.approx(6_000 * 0.6 + 4_000 * 0.5)
    assert then.payout == pytest.approx(6_000 * 0.9 + 4_000 * 1.5)  # 125 % pays 150 % (cap)
    assert then.squad_status == metrics.status(0.9 / periods.elapsed_fraction(Q4, AS_OF))


def test_what_if_without_squad_or_targets_is_not_an_error():
    _, me = _rows(target=None)
    out = metrics.outlook(None, me, PLAN, Q4, AS_OF, 1_000)
    assert out.squad_attainment is None and out.my_attainment is None and out.payout == 0
    assert out.my_credited == 3_000
    with pytest.raises(ValueError, match="negative"):
        metrics.outlook(None, me, PLAN, Q4, AS_OF, -1)


def test_payouts_and_place_in_squad_on_query_rows(demo_con):
    reps = db.run(demo_con, "rep_attainment", **Q4.params(AS_OF))
    squads = db.run(demo_con, "squad_attainment", **Q4.params(AS_OF))
    out = metrics.payouts(reps, squads, Plan(), Q4)
    squad_att = dict(squads.select("squad_id", "attainment").iter_rows())
    for row in out.head(10).iter_rows(named=True):
        assert row["squad_attainment"] == squad_att.get(row["squad_id"])
        assert row["payout"] == pytest.approx(
            metrics.payout(row["squad_attainment"], row["attainment"], Plan(), Q4)
        )
    # Place in squad: one more than the squad members with more credited revenue.
    for row in reps.head(10).iter_rows(named=True):
        place, size = metrics.place_in_squad(reps, row["rep_id"])
        mates = reps.filter(pl.col("squad_id") == row["squad_id"])
        assert size == mates.height
        assert place == 1 + mates.filter(pl.col("credited") > row["credited"]).height
    assert metrics.place_in_squad(reps, "nobody") is None


def test_what_if_status_follows_the_business_days_basis():
    squad, me = _rows(credited=5_500)
    on_days = metrics.outlook(squad, me, Plan(), Q4, AS_OF)
    on_business = metrics.outlook(squad, me, Plan(pace_basis="business_days"), Q4, AS_OF)
    # 55 % after 54 of 92 days (pace 0.94) or 38 of 66 business days (pace 0.955): on track
    # both ways, but the pace differs; a Saturday as_of adds nothing on business days.
    assert metrics.elapsed(Q4, AS_OF, "business_days") == pytest.approx(38 / 66)
    assert metrics.elapsed(Q4, date(2026, 11, 21), "business_days") == pytest.approx(
        metrics.elapsed(Q4, date(2026, 11, 20), "business_days")
    )
    assert on_days.squad_status == on_business.squad_status == "on track"
    assert metrics.business_days(date(2026, 10, 1), date(2027, 1, 1)) == 66
