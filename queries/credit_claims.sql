-- credit_claims: every overlay credit claim with its deal, the claimant, the two people who confirm it and where it stands.
-- grain: one row per overlay credit (claims filed in Squadboard and imported overlay splits), newest claim first
-- params: $rep_id VARCHAR (optional: only claims this person filed, or on deals owned by them or by someone in a squad they manage), $squad_id VARCHAR (optional: only claims filed by someone who was ever in this squad or on deals such a person owns), $period_start DATE (optional: only claims on deals closing on or after it), $period_end DATE (optional: only claims on deals closing before it)
-- The manager is the manager of the owner's squad on the close date (else the owner's latest
-- squad), the same rule as squadboard/contribution.py owner_manager.
with managed as (
    -- the person, everyone who was ever in a squad they manage, and in the squad asked for
    select $rep_id as rep_id
    union
    select m.rep_id
    from squad_members as m
    inner join squads as s on s.squad_id = m.squad_id
    where s.manager_id = $rep_id or s.squad_id = $squad_id
),

their_deals as (
    select deal_id from deals where owner_id in (select rep_id from managed)
),

claims as (
    select c.*
    from deal_credits as c
    where c.credit_type = 'overlay'
        and (
            ($rep_id is null and $squad_id is null)
            or c.rep_id in (select rep_id from managed)
            or c.deal_id in (select deal_id from their_deals)
        )
        and (
            ($period_start is null and $period_end is null)
            or c.deal_id in (
                select deal_id from deals
                where close_date >= coalesce($period_start, date '0001-01-01')
                    and close_date < coalesce($period_end, date '9999-12-31')
            )
        )
),

owner_squad as (
    select
        c.credit_id,
        s.manager_id,
        row_number() over (
            partition by c.credit_id
            order by (d.close_date >= m.valid_from and d.close_date < m.valid_to) desc,
                m.valid_from desc
        ) as pick
    from claims as c
    inner join deals as d on d.deal_id = c.deal_id
    inner join squad_membership_days as m on m.rep_id = d.owner_id
    inner join squads as s on s.squad_id = m.squad_id
),

final as (
    select
        c.credit_id,
        c.deal_id,
        coalesce(d.name, d.deal_id) as deal,
        d.account,
        d.status as deal_status,
        d.close_date,
        d.amount as deal_amount,
        c.rep_id,
        claimant.name as rep,
        c.deal_role,
        c.percent,
        (d.amount::decimal(38, 2) * c.percent * 0.01)::decimal(18, 2) as overlay_amount,
        c.note,
        c.claimed_at,
        d.owner_id as ae_id,
        ae.name as ae,
        c.ae_confirmed_by,
        c.ae_confirmed_at,
        os.manager_id,
        mgr.name as manager,
        c.manager_confirmed_by,
        c.manager_confirmed_at,
        c.rejected_by,
        rejecter.name as rejected_by_name,
        c.rejected_at,
        c.rejected_reason,
        case
            when c.rejected_at is not null then 'rejected'
            when c.ae_confirmed_at is not null and c.manager_confirmed_at is not null
                then 'confirmed'
            when c.ae_confirmed_at is not null or c.manager_confirmed_at is not null
                then 'half-confirmed'
            else 'pending'
        end as status
    from claims as c
    inner join deals as d on d.deal_id = c.deal_id
    left join owner_squad as os on os.credit_id = c.credit_id and os.pick = 1
    left join reps as claimant on claimant.rep_id = c.rep_id
    left join reps as ae on ae.rep_id = d.owner_id
    left join reps as mgr on mgr.rep_id = os.manager_id
    left join reps as rejecter on rejecter.rep_id = c.rejected_by
)

select * from final
order by claimed_at desc nulls last, close_date desc, credit_id
