-- mastermind_room_helpers: the people invited to a Mastermind, their answer, the evidence they were suggested on, and what they did in it.
-- grain: one row per invited helper
-- params: $mastermind_id VARCHAR (the Mastermind)
with notes as (
    select author_id as rep_id, count(*)::integer as notes
    from mastermind_notes
    where mastermind_id = $mastermind_id
    group by author_id
),

done as (
    select owner_id as rep_id, count(*)::integer as steps_done
    from mastermind_steps
    where mastermind_id = $mastermind_id and status = 'done'
    group by owner_id
)

select
    h.rep_id,
    r.name as rep,
    h.status,
    h.reason,
    inviter.name as invited_by,
    h.invited_at,
    h.answered_at,
    coalesce(n.notes, 0) as notes,
    coalesce(d.steps_done, 0) as steps_done
from mastermind_helpers as h
left join reps as r on r.rep_id = h.rep_id
left join reps as inviter on inviter.rep_id = h.invited_by
left join notes as n on n.rep_id = h.rep_id
left join done as d on d.rep_id = h.rep_id
where h.mastermind_id = $mastermind_id
order by h.status, r.name
