-- mastermind_next_steps: the next step of every open Mastermind (the open step due first, its owner, whether it is overdue) and how many of its steps are overdue on as_of.
-- grain: one row per open Mastermind with an open step
-- params: $as_of DATE (overdue: due before this day and not done or cancelled)
with open_steps as (
    select s.mastermind_id, s.step_id, s.title, s.owner_id, s.due_date
    from mastermind_steps as s
    inner join masterminds as m on m.mastermind_id = s.mastermind_id
    where m.status = 'open' and s.status in ('to do', 'in progress')
),

ranked as (
    select
        s.mastermind_id,
        s.title as next_step,
        r.name as next_step_owner,
        s.due_date as next_due,
        s.due_date < $as_of as next_overdue,
        count(*) filter (where s.due_date < $as_of) over (partition by s.mastermind_id)
            as overdue_as_of,
        row_number() over (partition by s.mastermind_id order by s.due_date, s.step_id) as n
    from open_steps as s
    left join reps as r on r.rep_id = s.owner_id
)

select mastermind_id, next_step, next_step_owner, next_due, next_overdue,
    overdue_as_of::integer as overdue_as_of
from ranked
where n = 1
