-- skill_profile: each rep's results per dimension and segment over the deals they own that closed in the window, with the 95 % Wilson interval of the win rate.
-- grain: one row per rep x dimension (overall, product, size_band) x segment
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive)
-- Provisional version written for the Mastermind invite suggestions (issue #15); issue #13's
-- own version of this query keeps the same params and columns. size_band: the org's won-amount
-- quartiles in the window, labelled with their dollar ranges.
with closed as (
    select
        deal_id,
        owner_id as rep_id,
        status,
        amount,
        date_diff('day', created_date, close_date) as cycle_days,
        lower(regexp_replace(product, '\s+', '', 'g')) as product_key,
        trim(product) as product
    from deals
    where status in ('won', 'lost') and owner_id is not null
        and close_date >= $period_start and close_date < $period_end
),

product_names as (
    -- product names that differ only by spacing or case are one segment
    select product_key, min(product) as segment from closed group by product_key
),

edges as (
    select
        quantile_cont(amount, 0.25) filter (where status = 'won') as q1,
        quantile_cont(amount, 0.50) filter (where status = 'won') as q2,
        quantile_cont(amount, 0.75) filter (where status = 'won') as q3
    from closed
),

banded as (
    select
        c.*,
        case
            when c.amount is null then null
            when c.amount < e.q1 then 'under ' || format('${:,.0f}', e.q1)
            when c.amount < e.q2 then format('${:,.0f}', e.q1) || '–' || format('${:,.0f}', e.q2)
            when c.amount < e.q3 then format('${:,.0f}', e.q2) || '–' || format('${:,.0f}', e.q3)
            else format('${:,.0f}', e.q3) || ' and over'
        end as size_band
    from closed as c, edges as e
),

cells as (
    select rep_id, 'overall' as dimension, 'all deals' as segment, status, amount, cycle_days
    from banded
    union all
    select b.rep_id, 'product', p.segment, b.status, b.amount, b.cycle_days
    from banded as b
    inner join product_names as p on p.product_key = b.product_key
    union all
    select rep_id, 'size_band', size_band, status, amount, cycle_days
    from banded
    where size_band is not null
),

counted as (
    select
        rep_id,
        dimension,
        segment,
        count(*)::integer as deals,
        count(*) filter (where status = 'won')::integer as won,
        median(cycle_days) filter (where status = 'won')::double as median_cycle_days,
        avg(amount) filter (where status = 'won')::double as avg_won_amount
    from cells
    group by rep_id, dimension, segment
),

final as (
    select
        c.rep_id,
        r.name as rep,
        c.dimension,
        c.segment,
        c.deals,
        c.won,
        c.won / c.deals as win_rate,
        -- 95 % Wilson score interval (z = 1.96)
        (c.won / c.deals + 1.96 ^ 2 / (2 * c.deals)
            - 1.96 * sqrt(c.won / c.deals * (1 - c.won / c.deals) / c.deals
                + 1.96 ^ 2 / (4 * c.deals ^ 2)))
        / (1 + 1.96 ^ 2 / c.deals) as rate_low,
        (c.won / c.deals + 1.96 ^ 2 / (2 * c.deals)
            + 1.96 * sqrt(c.won / c.deals * (1 - c.won / c.deals) / c.deals
                + 1.96 ^ 2 / (4 * c.deals ^ 2)))
        / (1 + 1.96 ^ 2 / c.deals) as rate_high,
        c.median_cycle_days,
        c.avg_won_amount
    from counted as c
    inner join reps as r on r.rep_id = c.rep_id
)

select * from final
order by dimension, segment, rate_low desc, rep
