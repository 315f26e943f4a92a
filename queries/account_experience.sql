-- account_experience: who knows an account: every rep who owned a deal of it, held a credit on one (revenue or confirmed overlay) or logged activity on one.
-- grain: one row per rep, ordered by won deals, then the most recent close
-- params: $account VARCHAR (the account; case and surrounding spaces ignored)
-- Provisional version written for the Mastermind invite suggestions (issue #15); issue #13's
-- own version of this query keeps the same params and columns.
with account_deals as (
    select deal_id, owner_id, status, close_date, product
    from deals
    where lower(trim(account)) = lower(trim($account))
),

involved as (
    select deal_id, owner_id as rep_id from account_deals where owner_id is not null
    union
    select c.deal_id, c.rep_id
    from deal_credits as c
    semi join account_deals as d on d.deal_id = c.deal_id
    where c.credit_type = 'revenue'
    union
    select o.deal_id, o.rep_id
    from confirmed_overlay as o
    semi join account_deals as d on d.deal_id = o.deal_id
    union
    select a.deal_id, a.rep_id
    from activities as a
    semi join account_deals as d on d.deal_id = a.deal_id
),

final as (
    select
        i.rep_id,
        r.name as rep,
        count(*)::integer as deals,
        count(*) filter (where d.status = 'won')::integer as won,
        count(*) filter (where d.status = 'lost')::integer as lost,
        count(*) filter (where d.status = 'open')::integer as open,
        max(d.close_date) filter (where d.status in ('won', 'lost')) as last_close_date,
        string_agg(distinct trim(d.product), ', ' order by trim(d.product)) as products
    from involved as i
    inner join account_deals as d on d.deal_id = i.deal_id
    inner join reps as r on r.rep_id = i.rep_id
    group by i.rep_id, r.name
)

select * from final
order by won desc, last_close_date desc nulls last, rep
