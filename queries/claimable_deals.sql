-- claimable_deals: deals a rep may claim overlay credit on: won or open deals in the period that they do not own and hold no open claim on.
-- grain: one row per deal, latest close first
-- params: $rep_id VARCHAR (the claimant), $period_start DATE (inclusive), $period_end DATE (exclusive)
select d.deal_id, d.name as deal, d.account, d.status, d.close_date, d.amount, r.name as owner
from deals as d
left join reps as r on r.rep_id = d.owner_id
where d.status in ('won', 'open')
    and d.close_date >= $period_start and d.close_date < $period_end
    and d.owner_id is distinct from $rep_id
    and not exists (
        select 1 from deal_credits as c
        where c.deal_id = d.deal_id and c.rep_id = $rep_id
            and c.credit_type = 'overlay' and c.rejected_at is null
    )
order by d.close_date desc, d.deal_id
