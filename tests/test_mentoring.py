"""Find a mentor on rows the tests insert: the skill dimensions and their intervals, who may
see weaknesses, suggestions (exclusions, minimum deals, most improved), who knows an account,
the request rules (audited, idempotent, clear refusals), the mentoring board, the weekly
events, the 90-day follow-up, and Suggest pairs as an optimal assignment."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from squadboard import db, facts, mentoring, plan, skills
from squadboard.auth import Viewer
from squadboard.contribution import ContributionError
from squadboard.plan import Plan
from tests.conftest import ADMIN

YEAR = {"period_start": date(2026, 1, 1), "period_end": date(2027, 1, 1)}
NOW = datetime(2026, 11, 20, 9, 30)


def viewer(rep_id, access="rep", squad="s1", leads=()):
    return Viewer(rep_id, rep_id, access, "AE", squad, tuple(leads))


def people(con):
    con.execute("""
        insert into squads values ('s1', 'One', 'East', 'm1'), ('s2', 'Two', 'West', 'm2');
        insert into reps (rep_id, name, role, access) values
            ('seek', 'Sam Seeker', 'AE', 'rep'), ('p1', 'Pat One', 'AE', 'rep'),
            ('p2', 'Pia Two', 'AE', 'rep'), ('p3', 'Pol Three', 'AE', 'rep'),
            ('p4', 'Pim Four', 'AE', 'rep'), ('m1', 'Mona Lead', 'manager', 'leader'),
            ('m2', 'Milo Lead', 'manager', 'leader'), ('vp', 'Vera Admin', 'manager', 'admin');
        insert into squad_members values
            ('seek', 's1', '2020-01-01', null), ('p1', 's1', '2020-01-01', null),
            ('p2', 's2', '2020-01-01', null), ('p3', 's2', '2020-01-01', null),
            ('p4', 's2', '2020-01-01', null);
    """)


def deals(con, rep, product, won, lost, *, start=date(2026, 3, 1), amount=1000, account=None):
    """`won` won and `lost` lost deals of a product, a day apart, 30 days from creation."""
    n = con.execute("select count(*) from deals").fetchone()[0]
    for i in range(won + lost):
        close = start + timedelta(days=i)
        con.execute(
            "insert into deals (deal_id, source, source_id, owner_id, product, account, status, "
            "amount, created_date, close_date) values (?, 't', ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                f"d{n + i}",
                f"d{n + i}",
                rep,
                product,
                account,
                "won" if i < won else "lost",
                amount,
                close - timedelta(days=30),
                close,
            ],
        )
    facts.refresh(con)  # rows written with plain SQL: work out the derived tables


@pytest.fixture
def org(con):
    people(con)
    deals(con, "seek", "GTX Pro", 3, 9)  # 25 %
    deals(con, "p1", "gtx  pro", 10, 2)  # 83 %: the same product, spelt otherwise
    deals(con, "p2", "GTX Pro", 14, 2)  # 88 %
    deals(con, "p3", "GTX Pro", 6, 6)  # 50 %
    deals(con, "p4", "GTX Pro", 5, 1)  # 83 % on 6 deals: too few to be a mentor
    return con


def profile(con):
    facts.refresh(con)  # after the rows a test wrote with plain SQL
    return db.run(con, "skill_profile", **YEAR)


def test_wilson_interval_matches_the_formula(con):
    row = con.execute("select wilson_low(42, 55), wilson_high(42, 55), wilson_low(0, 0)").fetchone()
    assert row[0] == pytest.approx(0.6365, abs=1e-4) and row[1] == pytest.approx(0.8563, abs=1e-4)
    assert row[2] is None
    few, many = con.execute("select wilson_low(3, 4), wilson_low(75, 100)").fetchone()
    assert few < many  # 75 % on 4 deals says less than 75 % on 100


def test_products_that_differ_by_spacing_or_case_are_one_cell(org):
    cells = profile(org).filter(pl.col("dimension") == "product")
    assert set(cells["segment"]) == {"GTX Pro"}  # the spelling most deals use
    assert cells.filter(pl.col("rep_id") == "p1").select("deals", "won").row(0) == (12, 10)


def test_size_bands_are_the_won_amount_quartiles_labelled_in_dollars(con):
    people(con)
    for i, amount in enumerate([100, 200, 300, 400, 500, 600, 700, 800]):
        deals(con, "p1", "X", 1, 0, amount=amount, start=date(2026, 2, 1 + i))
    deals(con, "p1", "X", 0, 1, amount=150, start=date(2026, 3, 1))
    deals(con, "p1", "X", 0, 1, amount=0, start=date(2026, 3, 2))  # no amount: in no band
    bands = profile(con).filter(pl.col("dimension") == "size_band")
    # quartiles of the won amounts 100..800: 275, 450, 625
    assert bands.select("segment", "deals", "won").rows() == [
        ("under $275 (smallest quarter)", 3, 2),
        ("$275–$450 (second quarter)", 2, 2),
        ("$450–$625 (third quarter)", 2, 2),
        ("$625 and over (largest quarter)", 2, 2),
    ]


def test_sector_and_stage_come_from_account_attributes_and_snapshots(org):
    org.execute("update deals set account = ' Acme ' where owner_id = 'seek'")
    org.execute("insert into account_attributes values ('acme', 'sector', 'retail')")
    org.execute(
        "insert into pipeline_snapshots (snapshot_date, deal_id, stage) "
        "select '2026-02-02', deal_id, 'Proposal' from deals where owner_id = 'seek' limit 5"
    )
    org.execute(  # a deal seen twice at the stage counts once
        "insert into pipeline_snapshots (snapshot_date, deal_id, stage) "
        "select '2026-02-09', deal_id, 'Proposal' from deals where owner_id = 'seek' limit 5"
    )
    cells = profile(org).filter(pl.col("rep_id") == "seek")
    assert cells.filter(pl.col("dimension") == "sector").select("segment", "deals").rows() == [
        ("retail", 12)
    ]
    assert cells.filter(pl.col("dimension") == "stage").select(
        "segment", "deals", "won"
    ).rows() == [("Proposal", 5, 3)]


def test_median_cycle_and_average_won_amount_are_of_the_won_deals(org):
    row = profile(org).filter((pl.col("rep_id") == "seek") & (pl.col("dimension") == "overall"))
    assert row.select("median_cycle_days", "avg_won_amount").row(0) == (30.0, 1000)


# Who sees weaknesses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, sees",
    [
        (viewer("seek"), True),  # the rep
        (viewer("m1", "leader", None, ["s1"]), True),  # their leader
        (viewer("vp", "admin", None), True),
        (viewer("p2", squad="s2"), False),  # a peer
        (viewer("m2", "leader", None, ["s2"]), False),  # another squad's leader
    ],
)
def test_a_weakness_is_shown_to_the_rep_their_leaders_and_admins_only(org, who, sees):
    cells = skills.rep_profile(profile(org), who, "seek", "s1", 10)
    assert ("weakness" in set(cells["reading"])) is sees
    if not sees:
        assert (cells["win_rate"] >= cells["team_median"]).all()
        with pytest.raises(PermissionError):
            skills.suggestions(lambda *a, **k: None, who, "seek", "s1", YEAR)


# Suggestions ----------------------------------------------------------------------------


def suggest(con, rep="seek"):
    """The product cell's suggestions (every deal here is of one size band too)."""
    facts.refresh(con)  # after the rows a test wrote with plain SQL
    got = db.run(con, "mentor_suggestions", rep_id=rep, **YEAR)
    return got.filter(pl.col("dimension") == "product")


def test_mentors_are_ranked_by_lower_bound_with_enough_deals(org):
    got = suggest(org)
    # p2 (14 of 16) before p1 (10 of 12); p3 (50 %) is below the median of 25, 50, 83 and
    # 88 % (p4, on 6 deals, does not count towards it), p4 has too few deals
    assert got["mentor_id"].to_list() == ["p2", "p1"]
    assert got["evidence"][0] == (
        "Pia Two won 14 of 16 GTX Pro deals (88 %, at least 64 %); you won 3 of 12 (25 %); "
        "team median 67 %."
    )
    plan.save(org, Plan(mentor_min_deals=6), ADMIN)
    # p4 counts now: the median is 83 % and only p2 is above it (p1 and p4 are at it)
    fewer = suggest(org)
    assert fewer["mentor_id"].to_list() == ["p2"]
    assert fewer["evidence"][0].endswith("team median 83 %.")
    plan.save(org, Plan(mentor_min_deals=13), ADMIN)  # the seeker has 12: too few to tell
    assert suggest(org).is_empty()


def test_never_someone_opted_out_or_at_their_limit(org):
    mentoring.save_settings(org, "p2", "p2", mentoring.Settings(available=False), NOW)
    assert suggest(org)["mentor_id"].to_list() == ["p1"]
    mentoring.save_settings(org, "p1", "p1", mentoring.Settings(mentee_limit=1), NOW)
    request = mentoring.ask(org, "p3", "p1", mentoring.free("demos"), "", None, NOW)
    mentoring.accept(org, "p1", request, NOW)
    assert suggest(org).is_empty()


def test_most_improved_peers_rose_most_against_the_window_before(org):
    # p3 a year before: 1 of 10 (50 % now); p1 before: 8 of 10 (83 % now)
    deals(org, "p3", "GTX Pro", 1, 9, start=date(2025, 3, 1))
    deals(org, "p1", "GTX Pro", 8, 2, start=date(2025, 4, 1))
    deals(org, "seek", "GTX Pro", 1, 1, start=date(2025, 3, 1))
    got = suggest(org)
    improved = got.filter(pl.col("kind") == "most_improved")
    # p1 is already among the strongest; p3 is below the median but rose most
    assert improved["mentor_id"].to_list() == ["p3"]
    assert "up from at least 2 % in the window before" in improved["evidence"][0]


# Who knows this account ---------------------------------------------------------------------


def test_account_experience_counts_owners_credits_confirmed_overlays_and_activity(org):
    org.execute("update deals set account = 'Acme Corp' where deal_id in ('d0', 'd1', 'd12')")
    org.execute("insert into deals (deal_id, source, source_id, owner_id, account, status) "
                "values ('o1', 't', 'o1', 'p4', 'ACME CORP ', 'open')")  # fmt: skip
    org.execute("""
        insert into deal_credits (credit_id, deal_id, rep_id, credit_type, percent,
                                  ae_confirmed_at, manager_confirmed_at) values
            ('c1', 'd0', 'p3', 'revenue', 40, null, null),
            ('c2', 'd1', 'p2', 'overlay', 10, '2026-03-01', '2026-03-02'),
            ('c3', 'd1', 'm1', 'overlay', 10, '2026-03-01', null);  -- not confirmed: no
        insert into activities values ('a1', 'vp', 'o1', 'call', '2026-11-01');
    """)
    got = db.run(org, "account_experience", account=" acme corp")
    assert got.select("rep_id", "deals", "won", "lost", "open").rows() == [
        ("seek", 2, 2, 0, 0),
        ("p2", 1, 1, 0, 0),  # d1, closed 2 March
        ("p1", 1, 1, 0, 0),  # closed 1 March, then by name
        ("p3", 1, 1, 0, 0),
        ("p4", 1, 0, 0, 1),
        ("vp", 1, 0, 0, 1),
    ]
    assert got["last_close_date"][0] == date(2026, 3, 2)


# Requests -----------------------------------------------------------------------------


def audit(con):
    return [r[0] for r in con.execute("select action from audit_log order by audit_id").fetchall()]


@pytest.mark.parametrize(
    "mentor, settings, message",
    [
        ("seek", None, "cannot ask yourself"),
        ("p1", mentoring.Settings(available=False), "Pat One is not taking mentees"),
        ("p1", mentoring.Settings(mentee_limit=0), "already mentors 0 people, their limit"),
        ("ghost", None, "not an active person"),
    ],
)
def test_asking_yourself_someone_unavailable_or_at_their_limit_is_refused(
    org, mentor, settings, message
):
    if settings:
        mentoring.save_settings(org, mentor, mentor, settings, NOW)
    before = org.execute("select count(*) from audit_log").fetchone()[0]
    with pytest.raises(ContributionError, match=message):
        mentoring.ask(org, "seek", mentor, mentoring.cell("product", "GTX Pro"), "hi", None, NOW)
    assert org.execute("select count(*) from help_requests").fetchone()[0] == 0
    assert org.execute("select count(*) from audit_log").fetchone()[0] == before


def test_a_request_goes_through_its_steps_audited_and_a_repeat_writes_nothing(org):
    topic = mentoring.cell("product", "GTX Pro")
    rid = mentoring.ask(org, "seek", "p2", topic, "<b>help</b> **please**", None, NOW)
    with pytest.raises(ContributionError, match="already asked Pia Two about Product: GTX Pro"):
        mentoring.ask(org, "seek", "p2", topic, "again", None, NOW)  # the double click
    with pytest.raises(ContributionError, match="only the mentor asked can accept"):
        mentoring.accept(org, "seek", rid, NOW)
    mentoring.accept(org, "p2", rid, NOW, note="Tuesday?")
    with pytest.raises(ContributionError, match="already accepted"):
        mentoring.accept(org, "p2", rid, NOW)
    with pytest.raises(ContributionError, match="thank your mentor once the request is done"):
        mentoring.thank(org, "seek", rid, Plan(), NOW)
    mentoring.mark_done(org, "seek", rid, NOW + timedelta(days=20))
    with pytest.raises(ContributionError, match="only the asker can thank"):
        mentoring.thank(org, "p2", rid, Plan(), NOW)
    kudos_id = mentoring.thank(org, "seek", rid, Plan(), NOW + timedelta(days=20))
    with pytest.raises(ContributionError, match="already thanked"):
        mentoring.thank(org, "seek", rid, Plan(), NOW + timedelta(days=20))
    row = org.execute(
        "select status, message, note, done_by, thanked_kudos_id from help_requests"
    ).fetchone()
    assert row == ("done", "<b>help</b> **please**", "Tuesday?", "seek", kudos_id)
    kudos = org.execute("select from_rep, to_rep, category, message from kudos").fetchall()
    assert kudos == [("seek", "p2", "mentoring", "Thank you for mentoring me on Product: GTX Pro.")]
    assert audit(org) == [
        "ask_for_help",
        "accept_request",
        "done_request",
        "give_kudos",
        "thank_mentor",
    ]


def test_decline_and_withdraw_are_the_mentors_and_the_askers(org):
    one = mentoring.ask(org, "seek", "p1", mentoring.account("Acme"), "", None, NOW)
    two = mentoring.ask(org, "seek", "p2", mentoring.free("pricing"), "", None, NOW)
    with pytest.raises(ContributionError, match="only the asker can withdraw"):
        mentoring.withdraw(org, "p1", one, NOW)
    mentoring.decline(org, "p1", one, NOW, note="busy this month")
    with pytest.raises(ContributionError, match="declined; it can no longer be accepted"):
        mentoring.accept(org, "p1", one, NOW)
    mentoring.withdraw(org, "seek", two, NOW)
    with pytest.raises(ContributionError, match="withdrawn; it can no longer be done"):
        mentoring.mark_done(org, "p2", two, NOW)
    statuses = org.execute("select topic, status from help_requests order by topic").fetchall()
    assert statuses == [("Account: Acme", "declined"), ("pricing", "withdrawn")]


def test_a_mentor_at_the_limit_cannot_accept_another(org):
    mentoring.save_settings(org, "p2", "p2", mentoring.Settings(mentee_limit=1), NOW)
    one = mentoring.ask(org, "seek", "p2", mentoring.free("a"), "", None, NOW)
    two = mentoring.ask(org, "p1", "p2", mentoring.free("b"), "", None, NOW)
    mentoring.accept(org, "p2", one, NOW)
    with pytest.raises(ContributionError, match="you already mentor 1, your limit of 1"):
        mentoring.accept(org, "p2", two, NOW)


def test_mentor_settings_are_your_own_and_saving_the_same_writes_nothing(org):
    with pytest.raises(ContributionError, match="only your own"):
        mentoring.save_settings(org, "p1", "p2", mentoring.Settings(), NOW)
    with pytest.raises(ContributionError, match="between 0 and 20"):
        mentoring.save_settings(org, "p1", "p1", mentoring.Settings(mentee_limit=99), NOW)
    wanted = mentoring.Settings(True, 3, "  Discovery <i>calls</i> ")
    assert mentoring.save_settings(org, "p1", "p1", wanted, NOW) is True
    assert mentoring.save_settings(org, "p1", "p1", wanted, NOW) is False
    assert mentoring.settings_of(org, "p1") == mentoring.Settings(True, 3, "Discovery <i>calls</i>")
    assert audit(org) == ["set_mentor_settings"]


def test_who_sees_which_request(org):
    rid = mentoring.ask(org, "seek", "p2", mentoring.free("x"), "", None, NOW)
    rows = db.run(org, "help_requests", as_of=date(2026, 11, 20))
    seen = {
        "seek": viewer("seek"),
        "p2": viewer("p2", squad="s2"),
        "m1": viewer("m1", "leader", None, ["s1"]),
        "vp": viewer("vp", "admin", None),
    }
    for who in seen.values():
        assert mentoring.visible_requests(rows, who)["request_id"].to_list() == [rid]
    for who in (viewer("p1"), viewer("m9", "leader", None, ["s9"])):
        assert mentoring.visible_requests(rows, who).is_empty()


# The board, the week, the follow-up ---------------------------------------------------------


def test_done_mentoring_counts_on_its_board_and_in_the_contribution_score(org):
    org.execute("insert into squad_members values ('p2', 's1', '2019-01-01', '2020-01-01')")
    rid = mentoring.ask(org, "seek", "p2", mentoring.free("x"), "", None, NOW)
    mentoring.accept(org, "p2", rid, NOW)
    mentoring.mark_done(org, "p2", rid, NOW)
    q4 = {"period_start": "2026-10-01", "period_end": "2027-01-01"}
    board = db.run(org, "leaderboard", **q4, metric="mentoring")
    assert board.filter(pl.col("value") > 0).select("rep_id", "value").rows() == [("p2", 1.0)]
    before = db.run(org, "leaderboard", **q4, metric="contribution")
    plan.save(org, Plan(contribution_kudos=0.10, contribution_mentoring=0.10), ADMIN)
    after = db.run(org, "leaderboard", **q4, metric="contribution")
    gain = (
        dict(after.select("rep_id", "value").rows())["p2"]
        - dict(before.select("rep_id", "value").rows())["p2"]
    )
    assert gain == pytest.approx(10.0)  # the best mentor: the full weight, on a 0-100 scale


def test_mentoring_week_lists_every_event_of_the_week(org):
    rid = mentoring.ask(org, "seek", "p2", mentoring.free("x"), "", None, datetime(2026, 11, 16, 9))
    mentoring.accept(org, "p2", rid, datetime(2026, 11, 18, 9))
    mentoring.mark_done(org, "seek", rid, datetime(2026, 11, 24, 9))  # the week after
    week = db.run(org, "mentoring_week", week_start="2026-11-16")
    assert week.select("event", "asker", "mentor").rows() == [
        ("asked", "Sam Seeker", "Pia Two"),
        ("accepted", "Sam Seeker", "Pia Two"),
    ]
    assert db.run(org, "mentoring_week", week_start="2026-11-16", squad_id="s2").height == 2
    assert db.run(org, "mentoring_week", week_start="2026-11-23")["event"].to_list() == ["done"]


def test_the_follow_up_compares_90_days_before_and_after_acceptance(org):
    accepted = datetime(2026, 5, 20, 10)
    rid = mentoring.ask(org, "seek", "p2", mentoring.cell("product", "GTX Pro"), "", None, accepted)
    mentoring.accept(org, "p2", rid, accepted)
    # seek's 12 deals closed 1-12 March (3 won): before. After: 4 of 5 in July.
    deals(org, "seek", "GTX Pro", 5, 0, start=date(2026, 2, 1))  # more than 90 days before
    deals(org, "seek", "gtx pro", 4, 1, start=date(2026, 7, 1))
    deals(org, "seek", "GTX Pro", 4, 0, start=date(2026, 10, 1))  # past the 90 days
    assert db.run(org, "mentoring_follow_up", as_of=date(2026, 8, 17)).is_empty()  # not yet
    row = db.run(org, "mentoring_follow_up", as_of=date(2026, 8, 18)).row(0, named=True)
    assert (row["before_won"], row["before_deals"], row["after_won"], row["after_deals"]) == (
        3,
        12,
        4,
        5,
    )
    assert row["change"] == pytest.approx(0.8 - 0.25)
    assert skills.follow_up_text(row) == (
        "3 of 12 (25 %) in the 90 days before, 4 of 5 (80 %) in the 90 days after."
    )
    follow = db.run(org, "mentoring_follow_up", as_of=date(2026, 8, 18))
    assert skills.mentees_change(follow, "p2") == (pytest.approx(0.55), 1)


# Suggest pairs ------------------------------------------------------------------------------


def greedy(options, seekers, slots):
    """First come by the largest gain: what an optimal assignment must beat."""
    left, taken, pairs = dict(slots), set(), []
    for s, m in sorted(options, key=lambda pair: -options[pair].gain):
        if s not in taken and left.get(m, 0) > 0:
            pairs.append((s, m))
            taken.add(s)
            left[m] -= 1
    return pairs


def test_the_assignment_beats_greedy_and_keeps_every_limit():
    opt = skills.Option
    # Greedy takes A-M (0.50) and leaves B with nobody who helps; the best is A-N + B-M.
    options = {
        ("A", "M"): opt(0.50, "product", "X"),
        ("A", "N"): opt(0.40, "product", "Y"),
        ("B", "M"): opt(0.45, "product", "X"),
        ("C", "N"): opt(0.05, "product", "Y"),
    }
    slots = {"M": 1, "N": 1}

    def total(pairs):
        return sum(options[p].gain for p in pairs)

    best = skills.assign(options, ["A", "B", "C"], slots)
    first_come = greedy(options, ["A", "B", "C"], slots)
    assert sorted(best) == [("A", "N"), ("B", "M")]
    assert total(best) == pytest.approx(0.85) and total(first_come) == pytest.approx(0.55)
    assert skills.assign(options, ["A", "B", "C"], {"M": 2, "N": 1}) != best  # C gets N now
    for m, n in {"M": 2, "N": 1}.items():
        assert (
            sum(1 for _, x in skills.assign(options, ["A", "B", "C"], {"M": 2, "N": 1}) if x == m)
            <= n
        )


def test_suggest_pairs_on_a_profile_respects_limits_and_never_pairs_a_rep_with_themselves(org):
    deals(org, "p3", "Other", 2, 10)
    deals(org, "p1", "Other", 11, 1)
    deals(org, "p2", "Other", 10, 2)
    room = db.run(org, "mentor_roster").with_columns(
        slots=pl.when(pl.col("rep_id") == "p2").then(1).otherwise(pl.col("slots"))
    )
    pairs = skills.suggest_pairs(profile(org), ["seek", "p3"], room, 10)
    assert len(pairs) == 2 and (pairs["seeker_id"] != pairs["mentor_id"]).all()
    assert pairs.filter(pl.col("mentor_id") == "p2").height <= 1
    assert all(e.count(" won ") == 2 and "team median" in e for e in pairs["evidence"])
