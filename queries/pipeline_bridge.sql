-- pipeline_bridge: the open pipeline of a frozen week, from the week before's frozen end to this week's, in categories that add up to the cent: start + every change = end.
-- grain: one row per category, always twelve, in this order: start, new, pulled_in, moved_in, grown, shrunk, moved_out, pushed_out, won, lost, removed, end. Scope: open deals closing in the fiscal quarter of the week (the quarter of its Thursday) owned by the squad's reps (every squad when none is given). Decreases are negative.
-- params: $week_start DATE (a Monday; a frozen week), $squad_id VARCHAR (optional; every squad when empty)
with movements as (
    select * from meeting_movements($week_start, $squad_id)
),

categories as (
    select * from (
        values
            (1, 'start'), (2, 'new'), (3, 'pulled_in'), (4, 'moved_in'), (5, 'grown'),
            (6, 'shrunk'), (7, 'moved_out'), (8, 'pushed_out'), (9, 'won'), (10, 'lost'),
            (11, 'removed'), (12, 'end')
    ) as c (position, category)
),

totals as (
    select 'start' as category, count(*) as deals, sum(amount_start) as amount
    from movements where in_start
    union all
    select 'end', count(*), sum(amount_end)
    from movements where in_end
    union all
    select category, count(*), sum(change)
    from movements where category is not null
    group by category
),

final as (
    select
        c.position,
        c.category,
        coalesce(t.deals, 0)::bigint as deals,
        coalesce(t.amount, 0)::decimal(18, 2) as amount
    from categories as c
    left join totals as t on t.category = c.category
)

select category, deals, amount from final
order by position
