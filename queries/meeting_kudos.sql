-- meeting_kudos: the kudos given in a week (Monday to Sunday) to the squad's members (the receiver's squad on the day; every squad when none is given), newest first.
-- grain: one row per kudos
-- params: $week_start DATE (a Monday), $squad_id VARCHAR (optional; every squad when empty)
select
    k.kudos_id,
    k.given_at,
    k.to_rep,
    receiver.name as to_name,
    giver.name as from_name,
    k.category,
    k.message,
    coalesce(d.name, d.deal_id) as deal
from kudos as k
left join reps as giver on giver.rep_id = k.from_rep
left join reps as receiver on receiver.rep_id = k.to_rep
left join deals as d on d.deal_id = k.deal_id
left join squad_membership_days as m
    on m.rep_id = k.to_rep
    and k.given_at::date >= m.valid_from and k.given_at::date < m.valid_to
where k.given_at >= $week_start and k.given_at < $week_start + 7
    and (($squad_id is null and m.squad_id is not null) or m.squad_id = $squad_id)
order by k.given_at desc, k.kudos_id
