-- kudos_feed: the team's kudos in the period, newest first, with who, to whom, why and the deal.
-- grain: one row per kudos
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive)
select
    k.kudos_id,
    k.given_at,
    k.from_rep,
    giver.name as from_name,
    k.to_rep,
    receiver.name as to_name,
    k.category,
    k.message,
    k.deal_id,
    coalesce(d.name, d.deal_id) as deal
from kudos as k
left join reps as giver on giver.rep_id = k.from_rep
left join reps as receiver on receiver.rep_id = k.to_rep
left join deals as d on d.deal_id = k.deal_id
where k.given_at >= $period_start and k.given_at < $period_end
order by k.given_at desc, k.kudos_id
