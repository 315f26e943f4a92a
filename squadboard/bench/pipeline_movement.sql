-- pipeline_movement (bench reference): open pipeline by owner in the latest weekly snapshot
-- on or before $as_of against the snapshot before it: what is open now, what was open then,
-- what was added (new since) and what went away (won, lost or dropped). Used by the bench
-- while no named query `pipeline_movement` exists; the same figures as the pandas baseline.
with days as (
    select max(snapshot_date) as now_day
    from pipeline_snapshots
    where snapshot_date <= $as_of
),

previous as (
    select max(s.snapshot_date) as before_day
    from pipeline_snapshots as s, days
    where s.snapshot_date < days.now_day
),

now_open as (
    select s.deal_id, s.owner_id, s.amount
    from pipeline_snapshots as s, days
    where s.snapshot_date = days.now_day
),

before_open as (
    select s.deal_id, s.owner_id, s.amount
    from pipeline_snapshots as s, previous
    where s.snapshot_date = previous.before_day
)

select
    coalesce(n.owner_id, b.owner_id) as owner_id,
    coalesce(sum(n.amount), 0)::decimal(18, 2) as pipeline,
    coalesce(sum(b.amount), 0)::decimal(18, 2) as pipeline_before,
    coalesce(sum(n.amount) filter (where b.deal_id is null), 0)::decimal(18, 2) as added,
    coalesce(sum(b.amount) filter (where n.deal_id is null), 0)::decimal(18, 2) as removed
from now_open as n
full outer join before_open as b on b.deal_id = n.deal_id
group by all
order by owner_id
