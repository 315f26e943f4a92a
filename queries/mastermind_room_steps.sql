-- mastermind_room_steps: a Mastermind's next steps with their owner, due date, status and whether they are overdue.
-- grain: one row per step; open ones first, by due date
-- params: $mastermind_id VARCHAR (the Mastermind), $as_of DATE (overdue: due before this day and not done or cancelled)
select
    s.step_id,
    s.title,
    s.owner_id,
    r.name as owner,
    s.due_date,
    s.status,
    s.status in ('to do', 'in progress') and s.due_date < $as_of as overdue,
    s.done_at,
    s.updated_at
from mastermind_steps as s
left join reps as r on r.rep_id = s.owner_id
where s.mastermind_id = $mastermind_id
order by s.status in ('done', 'cancelled'), s.due_date, s.title
