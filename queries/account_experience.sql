-- account_experience: who knows this account: every rep who owned a deal of it, held a credit on one (revenue, or overlay confirmed by the AE and the manager) or logged activity on one.
-- grain: one row per rep; deals, won, lost and open count the account's deals the rep took part in; last_close_date is the latest close of those that closed; products lists their products. Ordered by won, then most recent close.
-- params: $account VARCHAR (the account's name; case and surrounding spaces ignored)
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
    inner join account_deals as d on d.deal_id = c.deal_id
    where c.credit_type = 'revenue'
        or (
            c.ae_confirmed_at is not null
            and c.manager_confirmed_at is not null
            and c.rejected_at is null
        )
    union
    select a.deal_id, a.rep_id
    from activities as a
    inner join account_deals as d on d.deal_id = a.deal_id
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
        string_agg(distinct d.product, ', ' order by d.product) as products
    from involved as i
    inner join account_deals as d on d.deal_id = i.deal_id
    inner join reps as r on r.rep_id = i.rep_id
    group by i.rep_id, r.name
)

select * from final
order by won desc, last_close_date desc nulls last, rep, rep_id
