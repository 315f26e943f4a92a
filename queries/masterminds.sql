-- masterminds: the team's Masterminds, open ones first, with their helpers who accepted and their next steps.
-- grain: one row per Mastermind
-- params: $status VARCHAR (optional: open or closed; all when empty)
-- helpers: the names of the helpers who accepted, comma separated. overdue_steps: steps to do
-- or in progress whose due date is before the database's current date.
with picked as (
    select *
    from masterminds
    where $status is null or status = $status
),

helpers as (
    select h.mastermind_id, string_agg(r.name, ', ' order by r.name) as helpers
    from mastermind_helpers as h
    inner join reps as r on r.rep_id = h.rep_id
    where h.status = 'accepted'
    group by h.mastermind_id
),

steps as (
    select
        mastermind_id,
        count(*) filter (where status in ('to do', 'in progress'))::integer as open_steps,
        count(*) filter (
            where status in ('to do', 'in progress') and due_date < current_date
        )::integer as overdue_steps
    from mastermind_steps
    group by mastermind_id
),

final as (
    select
        m.mastermind_id,
        m.title,
        m.deal_id,
        m.account,
        m.owner_id,
        owner.name as owner,
        m.goal,
        m.target_date,
        m.status,
        m.outcome,
        coalesce(h.helpers, '') as helpers,
        coalesce(s.open_steps, 0) as open_steps,
        coalesce(s.overdue_steps, 0) as overdue_steps,
        m.opened_at,
        m.closed_at
    from picked as m
    left join reps as owner on owner.rep_id = m.owner_id
    left join helpers as h on h.mastermind_id = m.mastermind_id
    left join steps as s on s.mastermind_id = m.mastermind_id
)

select * from final
order by status desc, coalesce(closed_at, opened_at) desc, mastermind_id
