-- mastermind_week: the Masterminds of a week for the weekly meeting: those active in it, their steps due in the week or overdue at its end, and the outcomes of the week.
-- grain: one row per active Mastermind (kind active), per step due or overdue (kind step), per Mastermind closed in the week (kind outcome)
-- params: $week_start DATE (a Monday; the week runs to Sunday), $squad_id VARCHAR (optional: Masterminds whose owner was in this squad at the end of the week)
with week as (
    select $week_start::date as ws, ($week_start::date + 7) as we
),

scoped as (
    select m.*
    from masterminds as m cross join week
    where $squad_id is null or exists (
        select 1 from squad_membership_days as d
        where d.rep_id = m.owner_id and d.squad_id = $squad_id
            and d.valid_from < week.we and d.valid_to >= week.we
    )
),

helpers as (
    select h.mastermind_id, string_agg(r.name, ', ' order by r.name) as helpers
    from mastermind_helpers as h
    inner join reps as r on r.rep_id = h.rep_id
    where h.status = 'accepted'
    group by h.mastermind_id
),

active as (
    select 'active' as kind, m.mastermind_id, m.title, m.deal_id, m.account, m.owner_id,
        m.goal, m.target_date, m.outcome, coalesce(h.helpers, '') as helpers,
        null::varchar as step, null::varchar as step_owner, null::date as due_date,
        null::varchar as step_status, false as overdue
    from scoped as m cross join week
    left join helpers as h on h.mastermind_id = m.mastermind_id
    where m.opened_at < week.we and (m.closed_at is null or m.closed_at >= week.ws)
),

steps as (
    select 'step' as kind, m.mastermind_id, m.title, m.deal_id, m.account, m.owner_id,
        m.goal, m.target_date, m.outcome, coalesce(h.helpers, '') as helpers,
        s.title as step, r.name as step_owner, s.due_date, s.status as step_status,
        s.due_date < week.ws as overdue
    from scoped as m cross join week
    inner join mastermind_steps as s on s.mastermind_id = m.mastermind_id
    left join reps as r on r.rep_id = s.owner_id
    left join helpers as h on h.mastermind_id = m.mastermind_id
    where m.status = 'open' and s.status in ('to do', 'in progress') and s.due_date < week.we
),

outcomes as (
    select 'outcome' as kind, m.mastermind_id, m.title, m.deal_id, m.account, m.owner_id,
        m.goal, m.target_date, m.outcome, coalesce(h.helpers, '') as helpers,
        null::varchar, null::varchar, null::date, null::varchar, false
    from scoped as m cross join week
    left join helpers as h on h.mastermind_id = m.mastermind_id
    where m.closed_at >= week.ws and m.closed_at < week.we
),

final as (
    select * from active
    union all
    select * from steps
    union all
    select * from outcomes
)

select f.kind, f.mastermind_id, f.title, f.deal_id, f.account, f.owner_id, o.name as owner,
    f.goal, f.target_date, f.outcome, f.helpers, f.step, f.step_owner, f.due_date,
    f.step_status, f.overdue
from final as f
left join reps as o on o.rep_id = f.owner_id
order by f.kind, f.due_date nulls last, f.title, f.mastermind_id
