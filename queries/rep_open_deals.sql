-- rep_open_deals: a rep's open deals, to tie a request for help to one and to list the accounts the rep is working.
-- grain: one row per open deal the rep owns, soonest expected close first
-- params: $rep_id VARCHAR
with final as (
    select
        deal_id,
        coalesce(name, deal_id) as deal,
        trim(account) as account,
        product,
        stage,
        amount,
        close_date
    from deals
    where status = 'open' and owner_id = $rep_id
)

select * from final
order by close_date nulls last, deal, deal_id
