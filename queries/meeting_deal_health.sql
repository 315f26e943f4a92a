-- meeting_deal_health: the open deals of a frozen week's end with what squadboard/meeting.py needs to tell which need help: days overdue, close-date pushes, days in the stage against the org's median, days unchanged and the org's large-deal amount.
-- grain: one row per deal open at the week's end owned by the squad's reps (every squad when none is given), any close date
-- params: $week_start DATE (a Monday; a frozen week), $squad_id VARCHAR (optional; every squad when empty)
with week as (
    select week_start, week_end from meeting_weeks where week_start = $week_start
),

open_deals as (
    select d.*
    from meeting_week_deals as d
    inner join week as w on w.week_start = d.week_start
    where d.status = 'open'
),

-- How long a stage lasted, over every stage left in a frozen week up to this one (org-wide).
stage_medians as (
    select ended_stage as stage, median(ended_stage_days)::double as stage_median_days
    from meeting_week_deals
    where week_start <= $week_start and ended_stage_days is not null
    group by ended_stage
),

-- A large deal: in the top quarter of the org's open deals by amount at the week's end.
large as (
    select quantile_cont(amount, 0.75)::double as large_from from open_deals
),

final as (
    select
        o.deal_id,
        coalesce(o.deal, o.deal_id) as deal,
        o.account,
        coalesce(r.name, o.owner_id) as owner,
        sq.name as squad,
        o.stage,
        o.amount::double as amount,
        o.close_date,
        case when o.close_date <= w.week_end then date_diff('day', o.close_date, w.week_end) + 1 end
            as days_overdue,
        o.pushes,
        date_diff('day', o.stage_since, w.week_end) as days_in_stage,
        m.stage_median_days,
        date_diff('day', o.last_change, w.week_end) as days_unchanged,
        large.large_from
    from open_deals as o
    cross join week as w
    cross join large
    left join stage_medians as m on m.stage = o.stage
    left join reps as r on r.rep_id = o.owner_id
    left join squads as sq on sq.squad_id = o.squad_id
    where ($squad_id is null and o.squad_id is not null) or o.squad_id = $squad_id
)

select * from final
order by amount desc nulls last, deal_id
