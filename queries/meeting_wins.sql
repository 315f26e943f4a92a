-- meeting_wins: the deals won in a week (closed Monday to Sunday) with everyone credited on them: revenue splits, confirmed overlays and the other pod members who logged work on the deal.
-- grain: one row per won deal with a revenue credit in the squad (every squad when none is given), largest first
-- params: $week_start DATE (a Monday), $squad_id VARCHAR (optional; every squad when empty)
with won as (
    select distinct deal_id, deal, account, deal_amount, close_date
    from credited_revenue
    where close_date >= $week_start and close_date < $week_start + 7
        and (($squad_id is null and squad_id is not null) or squad_id = $squad_id)
),

credited as (
    select
        c.deal_id,
        string_agg(
            coalesce(r.name, c.rep_id) || ' ' || round(c.percent, 0)::integer || ' %', ', '
            order by c.percent desc, r.name
        ) as revenue_credit
    from credited_revenue as c
    left join reps as r on r.rep_id = c.rep_id
    where c.deal_id in (select deal_id from won)
    group by c.deal_id
),

overlays as (
    select
        o.deal_id,
        string_agg(
            coalesce(r.name, o.rep_id) || ' (' || coalesce(o.deal_role, 'overlay') || ')', ', '
            order by r.name
        ) as overlay_credit
    from confirmed_overlay as o
    left join reps as r on r.rep_id = o.rep_id
    where o.deal_id in (select deal_id from won)
    group by o.deal_id
),

pod as (
    select h.deal_id, string_agg(distinct coalesce(r.name, h.rep_id), ', ') as pod_members
    from deal_helpers as h
    left join reps as r on r.rep_id = h.rep_id
    where h.deal_id in (select deal_id from won)
        and not exists (
            select 1 from credited_revenue as c where c.deal_id = h.deal_id and c.rep_id = h.rep_id
        )
        and not exists (
            select 1 from confirmed_overlay as o where o.deal_id = h.deal_id and o.rep_id = h.rep_id
        )
    group by h.deal_id
),

final as (
    select
        w.deal_id,
        w.deal,
        w.account,
        w.deal_amount as amount,
        w.close_date,
        c.revenue_credit,
        o.overlay_credit,
        p.pod_members
    from won as w
    left join credited as c on c.deal_id = w.deal_id
    left join overlays as o on o.deal_id = w.deal_id
    left join pod as p on p.deal_id = w.deal_id
)

select * from final
order by amount desc, deal_id
