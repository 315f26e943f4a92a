-- claimable_deals: deals a rep may claim overlay credit on: won or open deals in the period that they do not own and hold no open claim on.
-- grain: one row per deal, latest close first; at most 500 rows
-- params: $rep_id VARCHAR (the claimant), $period_start DATE (inclusive), $period_end DATE (exclusive), $search VARCHAR (optional: any deal whose name or account contains this text, any case; without it, the deals of the people who were in the claimant's squads, or the squads they manage, during the period)
with my_squads as (
    -- the squads the claimant was in during the period, and those they manage
    select squad_id
    from squad_membership_days
    where rep_id = $rep_id and valid_from < $period_end and valid_to > $period_start
    union
    select squad_id from squads where manager_id = $rep_id
),

squadmates as (
    select rep_id
    from squad_membership_days
    where squad_id in (select squad_id from my_squads)
        and valid_from < $period_end and valid_to > $period_start
),

candidates as (
    select deal_id, name, account, status, close_date, amount, owner_id
    from deals
    where status in ('won', 'open')
        and close_date >= $period_start and close_date < $period_end
        and owner_id is distinct from $rep_id
        and case
            when nullif(trim($search), '') is null
                then owner_id in (select rep_id from squadmates)
            else contains(lower(name), lower(trim($search)))
                or contains(lower(account), lower(trim($search)))
        end
),

final as (
    select d.deal_id, coalesce(d.name, d.deal_id) as deal, d.account, d.status, d.close_date, d.amount, r.name as owner
    from candidates as d
    left join reps as r on r.rep_id = d.owner_id
    where not exists (
        select 1 from deal_credits as c
        where c.deal_id = d.deal_id and c.rep_id = $rep_id
            and c.credit_type = 'overlay' and c.rejected_at is null
    )
)

select * from final
order by close_date desc, deal_id
limit 500
