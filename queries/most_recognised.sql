-- most_recognised: who received the most kudos in the period (the monthly "most recognised"), with their most thanked-for category.
-- grain: one row per rep who received kudos in the period; ties share a rank
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive)
with received as (
    select to_rep as rep_id, category, count(*) as n
    from kudos
    where given_at >= $period_start and given_at < $period_end
    group by to_rep, category
),

per_rep as (
    select
        rep_id,
        sum(n)::integer as kudos,
        arg_max(category, n * 1000 - length(category)) as top_category,
        count(distinct category)::integer as categories
    from received
    group by rep_id
),

final as (
    select
        rank() over (order by p.kudos desc)::integer as rank,
        p.rep_id,
        r.name as rep,
        p.kudos,
        p.top_category,
        p.categories
    from per_rep as p
    left join reps as r on r.rep_id = p.rep_id
)

select * from final
order by rank, rep
