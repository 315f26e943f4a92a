-- squad_trend: a squad's cumulative credited revenue week by week against its base quota and the expected-to-date line.
-- grain: one row per week (weeks start on Monday) that overlaps the period; with as_of, credits closed after it never count (weeks after it carry the as-of total)
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive), $squad_id VARCHAR (the squad), $as_of DATE (optional: figures as of the end of this day; default every credit)
with weeks as (
    select
        w::date as week_start,
        -- the last day of the week that lies inside the period
        least(w::date + 6, ($period_end - interval 1 day)::date) as last_day
    from range(
        date_trunc('week', $period_start::date),
        $period_end::date,
        interval 7 day
    ) as t(w)
),

quota as (
    select quota
    from quota_in_period('squad_base', $period_start, $period_end)
    where owner_id = $squad_id
),

credits as (
    select close_date, amount
    from credited_revenue
    where squad_id = $squad_id and close_date >= $period_start and close_date < $period_end
        and ($as_of is null or close_date <= $as_of)
),

weekly as (
    select w.week_start, w.last_day, coalesce(sum(c.amount), 0) as credited
    from weeks as w
    left join credits as c on c.close_date between w.week_start and w.last_day
    group by w.week_start, w.last_day
),

final as (
    select
        week_start,
        (sum(credited) over (order by week_start))::decimal(18, 2) as credited_cum,
        ((select quota from quota) * plan_elapsed($period_start, $period_end, last_day))
            ::decimal(18, 2) as expected_cum,
        (select quota from quota) as quota,
        last_day
    from weekly
)

select * from final
order by week_start
