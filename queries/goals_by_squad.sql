-- goals_by_squad: bottom-up vs top-down: the sum of the reps' self-set goals against each squad's base quota, and the gap.
-- grain: one row per squad (every squad, with or without goals or a quota)
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive), $as_of DATE (reps count in their squad on this day, kept inside the period)
with clock as (
    select greatest($period_start, least($as_of, $period_end - interval 1 day))::date as squad_day
),

members as (
    select m.rep_id, m.squad_id
    from squad_membership_days as m
    cross join clock
    inner join reps as r on r.rep_id = m.rep_id
    where clock.squad_day >= m.valid_from and clock.squad_day < m.valid_to
        and r.role <> 'manager'
),

goal as (
    select owner_id as rep_id, quota as self_goal
    from quota_in_period('rep_goal', $period_start, $period_end)
),

stretch as (
    select owner_id as rep_id, quota as stretch_target
    from quota_in_period('rep_stretch', $period_start, $period_end)
),

base as (
    select owner_id as squad_id, quota as base_quota
    from quota_in_period('squad_base', $period_start, $period_end)
),

per_squad as (
    select
        m.squad_id,
        count(*)::integer as reps,
        count(g.self_goal)::integer as reps_with_goal,
        sum(g.self_goal)::decimal(18, 2) as goals_sum,
        sum(st.stretch_target)::decimal(18, 2) as stretch_sum
    from members as m
    left join goal as g on g.rep_id = m.rep_id
    left join stretch as st on st.rep_id = m.rep_id
    group by m.squad_id
),

final as (
    select
        s.squad_id,
        s.name as squad,
        b.base_quota,
        coalesce(p.goals_sum, 0)::decimal(18, 2) as goals_sum,
        (coalesce(p.goals_sum, 0) - b.base_quota)::decimal(18, 2) as gap,
        (coalesce(p.goals_sum, 0) / nullif(b.base_quota, 0))::double as goals_to_quota,
        coalesce(p.reps, 0) as reps,
        coalesce(p.reps_with_goal, 0) as reps_with_goal,
        p.stretch_sum
    from squads as s
    left join base as b on b.squad_id = s.squad_id
    left join per_squad as p on p.squad_id = s.squad_id
)

select * from final
order by gap nulls last, squad
