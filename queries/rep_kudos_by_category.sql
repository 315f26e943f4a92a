-- rep_kudos_by_category: kudos a rep received and gave in the period, per category (every category listed).
-- grain: one row per kudos category
-- params: $rep_id VARCHAR (the rep), $period_start DATE (inclusive), $period_end DATE (exclusive)
with categories as (
    select unnest([
        'helped close', 'mentoring', 'shared insight', 'jumped on a call', 'onboarding'
    ]) as category
),

in_period as (
    select * from kudos where given_at >= $period_start and given_at < $period_end
),

final as (
    select
        c.category,
        count(*) filter (where k.to_rep = $rep_id)::integer as received,
        count(*) filter (where k.from_rep = $rep_id)::integer as given
    from categories as c
    left join in_period as k on k.category = c.category
    group by c.category
)

select * from final
order by received desc, given desc, category
