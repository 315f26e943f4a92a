-- deal_movements: the deals behind pipeline_bridge: every deal that moved in a frozen week, with its category and how it stood at the start and the end; per category its changes add up to the bridge.
-- grain: one row per deal that moved (a deal in scope at both ends with the same amount did not), ordered by category as in the bridge, then the largest change first
-- params: $week_start DATE (a Monday; a frozen week), $squad_id VARCHAR (optional; every squad when empty)
with movements as (
    select * from meeting_movements($week_start, $squad_id)
    where category is not null
),

final as (
    select
        m.deal_id,
        coalesce(m.deal, m.deal_id) as deal,
        m.account,
        coalesce(r.name, m.owner_id) as owner,
        m.category,
        case when m.in_start then m.amount_start end::decimal(18, 2) as amount_start,
        m.amount_end::decimal(18, 2) as amount_end,
        m.change,
        m.close_date_start,
        m.close_date_end,
        m.stage_start,
        m.stage_end,
        list_position(
            ['new', 'pulled_in', 'moved_in', 'grown', 'shrunk', 'moved_out', 'pushed_out', 'won',
                'lost', 'removed'],
            m.category
        ) as position
    from movements as m
    left join reps as r on r.rep_id = m.owner_id
)

select * exclude (position) from final
order by position, abs(change) desc, deal_id
