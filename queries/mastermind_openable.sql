-- mastermind_openable: the deals a person may open a Mastermind for: their own, their squads' reps' when they lead (on as_of), everyone's for an admin; open deals and those closed in the year before as_of.
-- grain: one row per deal, open ones first, at most 500 (narrow with search)
-- params: $rep_id VARCHAR (who opens it), $as_of DATE (today), $search VARCHAR (optional: part of the deal, account or owner name, or a deal_id)
with me as (
    select rep_id, access from reps where rep_id = $rep_id and active
),

led as (
    select m.rep_id
    from squad_membership_days as m
    inner join squads as s on s.squad_id = m.squad_id
    where s.manager_id = $rep_id and $as_of >= m.valid_from and $as_of < m.valid_to
),

owners as (
    select rep_id from me
    union
    select rep_id from led where exists (select 1 from me)
    union
    select r.rep_id from reps as r where exists (select 1 from me where access = 'admin')
),

final as (
    select
        d.deal_id,
        coalesce(d.name, d.deal_id) as deal,
        d.account,
        d.product,
        d.status,
        d.owner_id,
        r.name as owner,
        d.amount,
        d.stage,
        d.close_date
    from deals as d
    inner join owners as o on o.rep_id = d.owner_id
    inner join reps as r on r.rep_id = d.owner_id
    where (d.status = 'open' or d.close_date >= $as_of - 365)
        and (
            $search is null
            or d.name ilike '%' || $search || '%'
            or d.account ilike '%' || $search || '%'
            or r.name ilike '%' || $search || '%'
            or d.deal_id = $search
        )
)

select * from final
order by status <> 'open', close_date nulls last, deal_id
limit 500
