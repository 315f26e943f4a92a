"""A small organisation for the contribution tests, inserted row by row so that every
expected figure can be worked out by hand.

Squad One (manager m1): AEs a1 and a2, SE se1. Squad Two (manager m2): AE b1.
vp is the admin. Q4 2026 deals: d1 won by a1 for 10,000 (split 60/40 with a2), d2 won by a2
for 5,000, d3 lost by a1, d4 open by a1. Q3: d0 won by a1 for 3,000.
"""

from __future__ import annotations

from datetime import date, datetime

from squadboard import facts

Q4 = {"period_start": date(2026, 10, 1), "period_end": date(2027, 1, 1)}
Q3 = {"period_start": date(2026, 7, 1), "period_end": date(2026, 10, 1)}
NOW = datetime(2026, 11, 20, 9, 30)


def build(con) -> None:
    con.execute("""
        insert into squads values ('s1', 'One', 'East', 'm1'), ('s2', 'Two', 'West', 'm2');
        insert into reps (rep_id, name, role, access) values
            ('a1', 'Alice Able', 'AE', 'rep'),
            ('a2', 'Arun Baker', 'AE', 'rep'),
            ('se1', 'Sean Engel', 'SE', 'rep'),
            ('b1', 'Bea Cole', 'AE', 'rep'),
            ('m1', 'Mona One', 'manager', 'leader'),
            ('m2', 'Milo Two', 'manager', 'leader'),
            ('vp', 'Vera Pike', 'manager', 'admin');
        insert into squad_members values
            ('a1', 's1', '2020-01-01', null),
            ('a2', 's1', '2020-01-01', null),
            ('se1', 's1', '2020-01-01', null),
            ('b1', 's2', '2020-01-01', null);
        insert into quotas (kind, owner_id, period_start, period_end, amount) values
            ('rep_stretch', 'a1', '2026-10-01', '2027-01-01', 20000),
            ('rep_stretch', 'a2', '2026-10-01', '2027-01-01', 10000),
            ('rep_stretch', 'a1', '2026-07-01', '2026-10-01', 20000),
            ('rep_stretch', 'a2', '2026-07-01', '2026-10-01', 10000),
            ('squad_base', 's1', '2026-10-01', '2027-01-01', 30000);
        insert into deals (deal_id, source, source_id, name, owner_id, status, amount,
                           probability, close_date) values
            ('d0', 'test', 'd0', 'Old win', 'a1', 'won', 3000, 1, '2026-08-10'),
            ('d1', 'test', 'd1', 'Big win', 'a1', 'won', 10000, 1, '2026-10-15'),
            ('d2', 'test', 'd2', 'Small win', 'a2', 'won', 5000, 1, '2026-11-02'),
            ('d3', 'test', 'd3', 'Lost one', 'a1', 'lost', 7000, 0, '2026-11-05'),
            ('d4', 'test', 'd4', 'Open one', 'a1', 'open', 8000, 0.5, '2026-12-10');
        insert into deal_credits (credit_id, deal_id, rep_id, credit_type, percent) values
            ('r1', 'd1', 'a1', 'revenue', 60), ('r2', 'd1', 'a2', 'revenue', 40);
    """)
    facts.refresh(con)  # rows written with plain SQL: work out the derived tables


def activity(con, rep_id: str, deal_id: str | None, kind: str, day: str, n: int = 1) -> None:
    for i in range(n):
        con.execute(
            "insert into activities values (?, ?, ?, ?, ?)",
            [f"act-{rep_id}-{deal_id}-{kind}-{day}-{i}", rep_id, deal_id, kind, day],
        )
    facts.refresh(con)


def kudos(con, from_rep: str, to_rep: str, deal_id: str | None, at: str, n: int = 1) -> None:
    for i in range(n):
        con.execute(
            "insert into kudos values (?, ?, ?, ?, 'helped close', 'thanks', ?)",
            [f"k-{from_rep}-{to_rep}-{deal_id}-{at}-{i}", from_rep, to_rep, deal_id, at],
        )
