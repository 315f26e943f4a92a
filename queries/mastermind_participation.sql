-- mastermind_participation: the Masterminds a rep took part in (as owner or as a helper who accepted) that were open at some time in the period, with what they did in each.
-- grain: one row per Mastermind the rep took part in
-- params: $rep_id VARCHAR (the rep), $period_start DATE (inclusive), $period_end DATE (exclusive)
-- counted: a helper who wrote a note or finished a step (what the assists and mastermind boards count).
with mine as (
    select m.*, 'owner' as role
    from masterminds as m
    where m.owner_id = $rep_id
    union all
    select m.*, 'helper' as role
    from masterminds as m
    inner join mastermind_helpers as h on h.mastermind_id = m.mastermind_id
    where h.rep_id = $rep_id and h.status = 'accepted'
),

notes as (
    select mastermind_id, count(*)::integer as notes
    from mastermind_notes
    where author_id = $rep_id
    group by mastermind_id
),

done as (
    select mastermind_id, count(*)::integer as steps_done
    from mastermind_steps
    where owner_id = $rep_id and status = 'done'
    group by mastermind_id
),

final as (
    select
        m.mastermind_id,
        m.title,
        m.deal_id,
        m.account,
        owner.name as owner,
        m.role,
        m.status,
        m.outcome,
        coalesce(n.notes, 0) as notes,
        coalesce(d.steps_done, 0) as steps_done,
        m.role = 'helper' and (n.notes is not null or d.steps_done is not null) as counted,
        m.opened_at,
        m.closed_at
    from mine as m
    left join reps as owner on owner.rep_id = m.owner_id
    left join notes as n on n.mastermind_id = m.mastermind_id
    left join done as d on d.mastermind_id = m.mastermind_id
    where m.opened_at < $period_end and (m.closed_at is null or m.closed_at >= $period_start)
)

select * from final
order by coalesce(closed_at, opened_at) desc, mastermind_id
