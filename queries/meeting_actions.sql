-- meeting_actions: the decisions and actions of a week's meeting, and every action still open from an earlier meeting of the same squad (or of the all-squads meeting), oldest first.
-- grain: one row per item
-- params: $week_start DATE (the meeting's Monday), $squad_id VARCHAR (optional; the all-squads meeting when empty)
select
    a.action_id,
    a.week_start,
    a.week_start < $week_start as carried,
    a.kind,
    a.text,
    a.owner_id,
    o.name as owner,
    a.due_date,
    a.done_at is not null as done,
    a.done_at,
    done_by.name as done_by,
    a.created_at,
    creator.name as created_by
from meeting_actions as a
left join reps as o on o.rep_id = a.owner_id
left join reps as done_by on done_by.rep_id = a.done_by
left join reps as creator on creator.rep_id = a.created_by
where a.squad_id is not distinct from $squad_id
    and (
        a.week_start = $week_start
        or (a.week_start < $week_start and a.kind = 'action'
            and (a.done_at is null or a.done_at >= $week_start))
    )
order by a.week_start, a.created_at, a.action_id
