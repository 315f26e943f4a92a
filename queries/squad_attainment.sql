-- squad_attainment: credited revenue of each squad against its shared base quota, with pace, status, forecast and what is needed per week.
-- grain: one row per squad (every squad, with or without a quota); elapsed time on the plan's pace_basis (calendar or business days)
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive), $as_of DATE (figures as of the end of this day)
with squad_list as (
    select squad_id, name as squad, region, manager_id from squads
),

quota as (
    select owner_id as squad_id, quota
    from quota_in_period('squad_base', $period_start, $period_end)
),

credits as (
    select squad_id, sum(amount)::decimal(18, 2) as credited, count(distinct deal_id) as won_deals
    from credited_revenue
    where close_date >= $period_start and close_date < $period_end and close_date <= $as_of
    group by squad_id
),

pipeline as (
    select squad_id, sum(weighted)::decimal(18, 2) as weighted_pipeline
    from open_pipeline_credits
    where close_date >= $period_start and close_date < $period_end
    group by squad_id
),

clock as (
    select
        plan_elapsed($period_start, $period_end, $as_of) as elapsed,
        days_left($period_start, $period_end, $as_of) as days_left
),

measured as (
    select
        s.squad_id,
        s.squad,
        q.quota,
        coalesce(c.credited, 0)::decimal(18, 2) as credited,
        (coalesce(c.credited, 0) / nullif(q.quota, 0))::double as attainment,
        (q.quota * clock.elapsed)::decimal(18, 2) as expected_to_date,
        clock.elapsed,
        clock.days_left,
        coalesce(p.weighted_pipeline, 0)::decimal(18, 2) as weighted_pipeline,
        coalesce(c.won_deals, 0)::integer as won_deals,
        s.region,
        s.manager_id
    from squad_list as s
    left join quota as q on q.squad_id = s.squad_id
    left join credits as c on c.squad_id = s.squad_id
    left join pipeline as p on p.squad_id = s.squad_id
    cross join clock
),

final as (
    select
        squad_id,
        squad,
        quota,
        credited,
        attainment,
        expected_to_date,
        (attainment / nullif(elapsed, 0))::double as pace,
        pace_status(attainment / nullif(elapsed, 0)) as status,
        (credited + weighted_pipeline)::decimal(18, 2) as forecast,
        case
            when quota is null then null
            when credited >= quota then 0
            when days_left = 0 then null
            else ((quota - credited) / (days_left / 7.0))
        end::decimal(18, 2) as needed_per_week,
        weighted_pipeline,
        won_deals,
        region,
        manager_id
    from measured
)

select * from final
order by attainment desc nulls last, squad
