-- rep_deals_helped: the deals a rep helped on without owning them: revenue splits, overlay claims (with their status), logged activity and Mastermind help.
-- grain: one row per deal the rep helped on that closed (or is expected to close) in the period
-- params: $rep_id VARCHAR (the rep), $period_start DATE (inclusive), $period_end DATE (exclusive)
with deals_in as (
    select * from deals
    where close_date >= $period_start and close_date < $period_end
        and owner_id is distinct from $rep_id
),

split as (
    select deal_id, sum(percent)::double as revenue_pct
    from deal_credits
    where credit_type = 'revenue' and rep_id = $rep_id
    group by deal_id
),

overlay as (
    select
        deal_id,
        max(deal_role) as overlay_role,
        coalesce(max(
            case
                when rejected_at is not null then 'rejected'
                when ae_confirmed_at is not null and manager_confirmed_at is not null
                    then 'confirmed'
                when ae_confirmed_at is not null or manager_confirmed_at is not null
                    then 'half-confirmed'
                else 'pending'
            end
        ) filter (where rejected_at is null), 'rejected') as overlay_status
    from deal_credits
    where credit_type = 'overlay' and rep_id = $rep_id
    group by deal_id
),

confirmed as (
    select deal_id, sum(amount)::decimal(18, 2) as overlay_confirmed
    from confirmed_overlay
    where rep_id = $rep_id
    group by deal_id
),

activity as (
    select deal_id, count(*)::integer as activities
    from activities
    where rep_id = $rep_id and deal_id is not null
    group by deal_id
),

mastermind as (
    -- an accepted helper who wrote a note or finished a step in a Mastermind on the deal
    select distinct deal_id
    from mastermind_contributions
    where rep_id = $rep_id and deal_id is not null
),

final as (
    select
        d.deal_id,
        coalesce(d.name, d.deal_id) as deal,
        d.account,
        d.status,
        d.close_date,
        d.amount,
        owner.name as owner,
        s.revenue_pct,
        o.overlay_role,
        o.overlay_status,
        coalesce(c.overlay_confirmed, 0)::decimal(18, 2) as overlay_confirmed,
        coalesce(a.activities, 0) as activities,
        mm.deal_id is not null as mastermind
    from deals_in as d
    left join split as s on s.deal_id = d.deal_id
    left join overlay as o on o.deal_id = d.deal_id
    left join confirmed as c on c.deal_id = d.deal_id
    left join activity as a on a.deal_id = d.deal_id
    left join reps as owner on owner.rep_id = d.owner_id
    left join mastermind as mm on mm.deal_id = d.deal_id
    where s.deal_id is not null or o.deal_id is not null or a.deal_id is not null
        or mm.deal_id is not null
)

select * from final
order by close_date desc, deal_id
