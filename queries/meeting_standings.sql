-- meeting_standings: where each squad stood at the end of a frozen week, in the week's fiscal quarter: attainment then, a week before, the change, pace and status (frozen with the week).
-- grain: one row per squad (the picked one, or every squad), best attainment first
-- params: $week_start DATE (a Monday; a frozen week), $squad_id VARCHAR (optional; every squad when empty)
with frozen as (
    select * from meeting_week_squads
    where week_start = $week_start and ($squad_id is null or squad_id = $squad_id)
),

final as (
    select
        f.squad_id,
        coalesce(s.name, f.squad_id) as squad,
        f.quarter,
        f.quota,
        f.credited,
        f.attainment,
        f.attainment_week_ago,
        (f.attainment - f.attainment_week_ago)::double as change,
        (f.credited - f.credited_week_ago)::decimal(18, 2) as credited_this_week,
        f.pace,
        f.status
    from frozen as f
    left join squads as s on s.squad_id = f.squad_id
)

select * from final
order by attainment desc nulls last, squad
