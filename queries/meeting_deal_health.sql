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

-- How long a stage lasted, over every stage left in a frozen week up to this one (org-wide):
-- the median of millions of rows read off a count per stage and number of days (the middle
-- one, or the mean of the two middle ones), without sorting them.
stage_days as (
    select ended_stage as stage, ended_stage_days as days, count(*) as n
    from meeting_week_deals
    where week_start <= $week_start and ended_stage_days is not null
    group by ended_stage, ended_stage_days
),

stage_ranked as (
    select
        stage,
        days,
        n,
        sum(n) over (partition by stage order by days rows unbounded preceding) - n as below,
        sum(n) over (partition by stage) as total
    from stage_days
),

stage_medians as (
    select
        stage,
        ((
            min(days) filter (where below + n > (total - 1) // 2)
            + min(days) filter (where below + n > total // 2)
        ) / 2.0)::double as stage_median_days
    from stage_ranked
    group by stage
),

-- The squad's deals (every squad's) before they are joined to names.
scoped as (
    select * from open_deals
    where ($squad_id is null and squad_id is not null) or squad_id = $squad_id
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
    from scoped as o
    cross join week as w
    cross join large
    left join stage_medians as m on m.stage = o.stage
    left join reps as r on r.rep_id = o.owner_id
    left join squads as sq on sq.squad_id = o.squad_id
)

select * from final
order by amount desc nulls last, deal_id
