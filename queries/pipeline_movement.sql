-- pipeline_movement: open pipeline per owner in the latest weekly snapshot on or before a day, against the snapshot before it: open now, open then, added since and gone since (won, lost or dropped).
-- grain: one row per owner with open pipeline in either snapshot
-- params: $as_of DATE (the latest snapshot on or before the end of this day)
with latest as (
    select max(snapshot_date) as snapshot_date
    from pipeline_changes
    where snapshot_date <= $as_of
),

changes as (
    select c.*
    from pipeline_changes as c
    inner join latest as l on l.snapshot_date = c.snapshot_date
),

final as (
    select
        c.owner_id,
        coalesce(r.name, c.owner_id) as rep,
        m.squad_id,
        s.name as squad,
        c.pipeline,
        c.pipeline_before,
        c.added,
        c.removed,
        (c.pipeline - c.pipeline_before)::decimal(18, 2) as net_change,
        c.snapshot_date,
        c.before_date
    from changes as c
    left join reps as r on r.rep_id = c.owner_id
    left join squad_membership_days as m
        on m.rep_id = c.owner_id
        and c.snapshot_date >= m.valid_from and c.snapshot_date < m.valid_to
    left join squads as s on s.squad_id = m.squad_id
)

select * from final
order by squad nulls last, owner_id
