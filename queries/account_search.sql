-- account_search: accounts to ask about: every account, or those whose name contains the search text (case and surrounding spaces ignored), and with rep_id the accounts of that rep's open deals.
-- grain: one row per account (names differing only by case or surrounding spaces are one); my_open counts rep_id's open deals of it; the rep's own first, then by deals
-- params: $search VARCHAR (optional: part of the account's name; empty lists every account), $rep_id VARCHAR (optional: also list this rep's open deals' accounts)
with named as (
    select lower(trim(account)) as k, trim(account) as account, owner_id, status
    from deals
    where account is not null and trim(account) <> ''
),

picked as (
    -- with a search, the accounts to list: those matching it and those of rep_id's open
    -- deals (every deal of them is counted below, not only the matching rows)
    select distinct k
    from named
    where nullif(trim($search), '') is not null
        and (contains(k, lower(trim($search))) or (status = 'open' and owner_id = $rep_id))
),

final as (
    select
        min(account) as account,
        count(*)::integer as deals,
        count(*) filter (where status = 'open' and owner_id = $rep_id)::integer as my_open
    from named
    where nullif(trim($search), '') is null or k in (select k from picked)
    group by k
)

select * from final
order by my_open desc, deals desc, account
