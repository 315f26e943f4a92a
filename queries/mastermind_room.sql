-- mastermind_room: one Mastermind in full: goal, why, outcome and retro, with its deal as it stands now.
-- grain: one row (none for an unknown id)
-- params: $mastermind_id VARCHAR (the Mastermind)
select
    m.mastermind_id,
    m.title,
    m.deal_id,
    coalesce(d.name, d.deal_id) as deal,
    m.account,
    d.product,
    d.stage,
    d.status as deal_status,
    d.amount,
    d.close_date,
    m.owner_id,
    owner.name as owner,
    m.opened_by,
    opener.name as opened_by_name,
    m.goal,
    m.target_date,
    m.why,
    m.status,
    m.outcome,
    m.retro,
    m.opened_at,
    m.closed_at,
    closer.name as closed_by_name
from masterminds as m
left join deals as d on d.deal_id = m.deal_id
left join reps as owner on owner.rep_id = m.owner_id
left join reps as opener on opener.rep_id = m.opened_by
left join reps as closer on closer.rep_id = m.closed_by
where m.mastermind_id = $mastermind_id
