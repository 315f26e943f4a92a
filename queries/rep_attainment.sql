-- rep_attainment: each rep's credited revenue against their individual stretch target, with pace, self-set goal, weighted open pipeline and coverage.
-- grain: one row per rep active in the period (a squad member other than a manager, anyone with credited revenue or open pipeline in it, or a non-manager with a stretch target in it); a squad's manager (squads.manager_id or role manager) is shown only when they own deals in the period, marked by manages_squad
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive), $as_of DATE (figures as of the end of this day)
with clock as (
    select
        plan_elapsed($period_start, $period_end, $as_of) as elapsed,
        -- the day whose squad a rep is shown in: as_of, kept inside the period
        greatest($period_start, least($as_of, $period_end - interval 1 day))::date as squad_day
),

stretch as (
    select owner_id as rep_id, quota as stretch_target
    from quota_in_period('rep_stretch', $period_start, $period_end)
),

goal as (
    select owner_id as rep_id, quota as self_goal
    from quota_in_period('rep_goal', $period_start, $period_end)
),

credits as (
    select rep_id, sum(amount)::decimal(18, 2) as credited, count(distinct deal_id) as won_deals
    from credited_revenue
    where close_date >= $period_start and close_date < $period_end and close_date <= $as_of
    group by rep_id
),

pipeline as (
    select rep_id, sum(weighted)::decimal(18, 2) as weighted_pipeline
    from open_pipeline_credits
    where close_date >= $period_start and close_date < $period_end
    group by rep_id
),

-- people who manage a squad: their personal target is not compared with a few deals of their
-- own unless they own deals in the period (issue #17)
managers as (
    select manager_id as rep_id from squads where manager_id is not null
    union
    select rep_id from reps where role = 'manager'
),

members_in_period as (
    select distinct m.rep_id
    from squad_membership_days as m
    where m.valid_from < $period_end and m.valid_to > $period_start
        and m.rep_id not in (select rep_id from managers)
),

active as (
    select rep_id from members_in_period
    union
    select rep_id from stretch where rep_id not in (select rep_id from managers)
    union
    select rep_id from credits
    union
    select rep_id from pipeline
    where weighted_pipeline > 0 and rep_id in (select rep_id from managers)
),

-- the squad on squad_day, else the last squad the rep was in during the period
squad_of as (
    select m.rep_id, arg_max(m.squad_id, m.valid_from) as squad_id
    from squad_membership_days as m, clock
    where m.valid_from <= clock.squad_day and m.valid_from < $period_end
        and m.valid_to > $period_start
    group by m.rep_id
),

measured as (
    select
        a.rep_id,
        coalesce(r.name, a.rep_id) as rep,
        so.squad_id,
        s.name as squad,
        st.stretch_target,
        coalesce(c.credited, 0)::decimal(18, 2) as credited,
        (coalesce(c.credited, 0) / nullif(st.stretch_target, 0))::double as attainment,
        clock.elapsed,
        g.self_goal,
        coalesce(p.weighted_pipeline, 0)::decimal(18, 2) as weighted_pipeline,
        coalesce(c.won_deals, 0)::integer as won_deals,
        r.role,
        a.rep_id in (select rep_id from managers) as manages_squad
    from active as a
    cross join clock
    left join reps as r on r.rep_id = a.rep_id
    left join squad_of as so on so.rep_id = a.rep_id
    left join squads as s on s.squad_id = so.squad_id
    left join stretch as st on st.rep_id = a.rep_id
    left join goal as g on g.rep_id = a.rep_id
    left join credits as c on c.rep_id = a.rep_id
    left join pipeline as p on p.rep_id = a.rep_id
),

final as (
    select
        rep_id,
        rep,
        squad_id,
        squad,
        stretch_target,
        credited,
        attainment,
        (attainment / nullif(elapsed, 0))::double as pace,
        self_goal,
        weighted_pipeline,
        -- weighted pipeline ÷ what is left of the stretch target; null once it is met
        (weighted_pipeline / nullif(greatest(stretch_target - credited, 0), 0))::double as coverage,
        pace_status(attainment / nullif(elapsed, 0)) as status,
        case
            when stretch_target is not null then greatest(stretch_target - credited, 0)
        end::decimal(18, 2) as left_to_target,
        won_deals,
        role,
        manages_squad
    from measured
)

select * from final
order by squad nulls last, credited desc, rep
