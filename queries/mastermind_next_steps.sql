-- mastermind_next_steps: the next step of every open Mastermind: the open step due first, its owner and whether it is overdue.
-- grain: one row per open Mastermind with an open step
-- params: $as_of DATE (overdue: due before this day)
with ranked as (
    select
        s.mastermind_id,
        s.title as next_step,
        r.name as next_step_owner,
        s.due_date as next_due,
        s.due_date < $as_of as next_overdue,
        row_number() over (partition by s.mastermind_id order by s.due_date, s.step_id) as n
    from mastermind_steps as s
    inner join masterminds as m on m.mastermind_id = s.mastermind_id
    left join reps as r on r.rep_id = s.owner_id
    where m.status = 'open' and s.status in ('to do', 'in progress')
)

select mastermind_id, next_step, next_step_owner, next_due, next_overdue
from ranked
where n = 1
