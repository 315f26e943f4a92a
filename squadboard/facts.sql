-- Derived tables: credits, pipeline and helpers worked out once per write instead of on every
-- read. squadboard/facts.py deletes the rows of the deals in scope and runs these statements,
-- in order, inside the writer's own transaction. They read the deals being refreshed from
-- fact_deals, their credits from fact_credits and the activities on those of them that are won
-- from fact_activities: temp tables facts.py fills once per refresh (or views of everything),
-- so that no statement scans all 5,000,000 deals or 20,000,000 activities again. Rows go in
-- close-date order so that a period's filter skips most of the table. Each statement starts
-- with a `-- table: <name>` line; the tables themselves are in schema.sql. A section that
-- starts with `-- input: <name>` is a temp table facts.py makes first, for the statements.

-- input: fact_revenue_shares
-- Every revenue credit of a won or open deal with an amount: its splits, or 100 % to the owner
-- when it has none. amount is in whole cents, the leftover cents of a split going one each to
-- the largest remainders (ties: the lower rep_id), so that a deal's credits add up to its
-- amount to the cent; exact is the share unrounded. Splits an import accepted within its
-- tolerance (99.995 %, see squadboard/ingest) share out the whole amount in their proportions.
with priced as (
    select deal_id, owner_id, amount
    from fact_deals
    where status in ('won', 'open') and amount is not null
),

splits as (
    select deal_id, rep_id, percent
    from fact_credits
    where credit_type = 'revenue'
),

credits as (
    select splits.* from splits semi join priced on priced.deal_id = splits.deal_id
    union all
    select p.deal_id, p.owner_id, 100.0
    from priced as p
    where p.owner_id is not null
        and not exists (select 1 from splits where splits.deal_id = p.deal_id)
),

totals as (
    select deal_id, sum(percent) as total from credits group by deal_id
),

shares as (
    select
        c.deal_id,
        c.rep_id,
        c.percent,
        case
            when t.total = 100 then p.amount::decimal(38, 2) * c.percent * 0.01
            else (p.amount * c.percent / t.total)::decimal(38, 8)
        end as exact,
        floor(exact * 100) as floor_cents,
        round(sum(exact) over deal * 100) - sum(floor_cents) over deal as spare_cents,
        row_number() over (
            partition by c.deal_id order by exact * 100 - floor_cents desc, c.rep_id
        ) as remainder_rank
    from credits as c
    inner join priced as p on p.deal_id = c.deal_id
    inner join totals as t on t.deal_id = c.deal_id
    window deal as (partition by c.deal_id)
)

select
    deal_id,
    rep_id,
    percent,
    exact,
    (floor_cents + (remainder_rank <= spare_cents)::integer)::decimal(38, 0) * 0.01 as amount
from shares;

-- table: credited_revenue
-- One row per revenue credit on a won deal (fact_revenue_shares). squad_id is the rep's squad
-- on the close date, or under the plan's squad_credit_rule 'deal_team' the squad named on the
-- deal when it names one (the credits and their cents are the same either way).
insert into credited_revenue
with won as (
    select
        deal_id, amount, close_date, name, account, product, stage, probability,
        case when squad_credit_rule() = 'deal_team' then team_squad_id end as team_squad_id
    from fact_deals
    where status = 'won' and close_date is not null and amount is not null
),

final as (
    select
        won.deal_id,
        s.rep_id,
        coalesce(won.team_squad_id, m.squad_id) as squad_id,
        won.close_date,
        s.percent,
        s.amount,
        -- the deal as the drill-downs show it, so that they need not look it up among all deals
        coalesce(won.name, won.deal_id) as deal,
        won.account,
        won.product,
        won.stage,
        won.amount as deal_amount,
        won.probability
    from won
    inner join fact_revenue_shares as s on s.deal_id = won.deal_id
    left join squad_membership_days as m
        on m.rep_id = s.rep_id
        and won.close_date >= m.valid_from and won.close_date < m.valid_to
)

select * from final
order by close_date, deal_id, rep_id;

-- table: open_pipeline_credits
-- One row per revenue credit on an open deal (fact_revenue_shares), weighted by the deal's
-- probability; squad_id is the rep's squad on the expected close date, or the deal's own
-- squad under the 'deal_team' rule (as for won deals).
insert into open_pipeline_credits
with open_deals as (
    select
        deal_id, amount, probability, close_date, name, account, product, stage,
        case when squad_credit_rule() = 'deal_team' then team_squad_id end as team_squad_id
    from fact_deals
    where status = 'open' and amount is not null
),

final as (
    select
        o.deal_id,
        s.rep_id,
        coalesce(o.team_squad_id, m.squad_id) as squad_id,
        o.close_date,
        s.amount,
        s.exact * coalesce(o.probability, 0) as weighted,
        s.percent,
        coalesce(o.name, o.deal_id) as deal,
        o.account,
        o.product,
        o.stage,
        o.amount as deal_amount,
        o.probability
    from open_deals as o
    inner join fact_revenue_shares as s on s.deal_id = o.deal_id
    left join squad_membership_days as m
        on m.rep_id = s.rep_id
        and o.close_date >= m.valid_from and o.close_date < m.valid_to
)

select * from final
order by close_date, deal_id, rep_id;

-- table: confirmed_overlay
-- Overlay credits that count: confirmed by the AE and the manager, not rejected, on won deals.
insert into confirmed_overlay
with overlays as (
    select deal_id, rep_id, deal_role, percent
    from fact_credits
    where credit_type = 'overlay'
        and ae_confirmed_at is not null
        and manager_confirmed_at is not null
        and rejected_at is null

),

won as (
    select deal_id, amount, close_date from fact_deals where status = 'won'
),

final as (
    select
        won.deal_id,
        o.rep_id,
        won.close_date,
        o.deal_role,
        o.percent,
        won.amount::decimal(38, 2) * o.percent * 0.01 as amount
    from overlays as o
    inner join won on won.deal_id = o.deal_id
)

select * from final
order by close_date, deal_id, rep_id;

-- table: deal_helpers
-- Who helped win a deal they do not own: a revenue split, a confirmed overlay, activity
-- logged on it, or help in a Mastermind on it (an accepted helper who wrote a note or finished
-- a step: the mastermind_contributions view). Runs after confirmed_overlay, which it reads.
insert into deal_helpers
with won as (
    select deal_id, owner_id, close_date
    from fact_deals
    where status = 'won' and close_date is not null
),

helpers as (
    select deal_id, rep_id from fact_credits where credit_type = 'revenue'
    union
    select deal_id, rep_id from confirmed_overlay where deal_id in (select deal_id from won)
    union
    select deal_id, rep_id from fact_activities
    union
    select deal_id, rep_id from mastermind_contributions
    where deal_id in (select deal_id from won)
),

final as (
    select won.deal_id, h.rep_id, won.close_date
    from won
    inner join helpers as h on h.deal_id = won.deal_id
    where h.rep_id is distinct from won.owner_id
)

select * from final
order by close_date, deal_id, rep_id;

-- table: deal_activity
-- Activity logged on each won deal, per rep and kind: the points of a deal pod's members.
insert into deal_activity
with won as (
    select deal_id, close_date
    from fact_deals
    where status = 'won' and close_date is not null
),

logged as (
    select deal_id, rep_id, kind, count(*)::integer as activities
    from fact_activities
    group by deal_id, rep_id, kind
),

final as (
    select won.deal_id, l.rep_id, won.close_date, l.kind, l.activities
    from won
    inner join logged as l on l.deal_id = won.deal_id
)

select * from final
order by close_date, deal_id, rep_id, kind;

-- table: activity_months
-- Activities per rep, calendar month and kind, for boards over whole months. Not per deal:
-- rebuilt whole whenever activities change.
insert into activity_months
select rep_id, date_trunc('month', activity_date)::date as month, kind, count(*)::integer as activities
from activities
group by all
order by month, rep_id, kind;

-- table: pipeline_changes
-- Week-over-week movement of the open pipeline per owner: each snapshot day in fact_days
-- against the snapshot day before it. Kept per snapshot day: an import rewrites its day's
-- snapshot, which changes that day's rows and the next snapshot day's.
insert into pipeline_changes
with days as (
    select snapshot_date, lag(snapshot_date) over (order by snapshot_date) as before_date
    from (select distinct snapshot_date from pipeline_snapshots)
),

picked as (
    select * from days where snapshot_date in (select snapshot_date from fact_days)
),

now_open as (
    select p.snapshot_date, s.deal_id, s.owner_id, s.amount
    from pipeline_snapshots as s
    inner join picked as p on p.snapshot_date = s.snapshot_date
),

before_open as (
    select p.snapshot_date, s.deal_id, s.owner_id, s.amount
    from pipeline_snapshots as s
    inner join picked as p on p.before_date = s.snapshot_date
),

final as (
    select
        coalesce(n.snapshot_date, b.snapshot_date) as snapshot_date,
        coalesce(n.owner_id, b.owner_id) as owner_id,
        coalesce(sum(n.amount), 0)::decimal(18, 2) as pipeline,
        coalesce(sum(b.amount), 0)::decimal(18, 2) as pipeline_before,
        coalesce(sum(n.amount) filter (where b.deal_id is null), 0)::decimal(18, 2) as added,
        coalesce(sum(b.amount) filter (where n.deal_id is null), 0)::decimal(18, 2) as removed
    from now_open as n
    full outer join before_open as b
        on b.snapshot_date = n.snapshot_date and b.deal_id = n.deal_id
    group by all
)

select f.*, p.before_date
from final as f
inner join picked as p on p.snapshot_date = f.snapshot_date
order by f.snapshot_date, f.owner_id;

-- table: skill_facts
-- Find a mentor (issue #13): every deal a rep owns that closed (won or lost), as the skill
-- macros in schema.sql read it: won, amount, days from created to close, the product as
-- spelled and the account's key for its sector (account attributes are joined when read, so
-- that an import of sectors alone needs no refresh). In close-date order.
insert into skill_facts
select
    deal_id,
    owner_id as rep_id,
    close_date,
    status = 'won' as won,
    amount,
    date_diff('day', created_date, close_date) as cycle_days,
    product,
    case when trim(product) <> '' then product_key(product) end as product_key,
    lower(trim(account)) as account_key
from fact_deals
where status in ('won', 'lost') and close_date is not null and owner_id is not null
order by close_date, deal_id;

-- table: skill_stage_facts
-- The stages a pipeline snapshot saw each of those deals at, with the first snapshot day
-- that did (a window counts the stages first seen before its end). A snapshot day rewritten
-- by an import drops the deals no longer open: facts.refresh_snapshots refreshes the deals
-- whose stage was first seen that day.
insert into skill_stage_facts
with closed as (
    select
        deal_id,
        owner_id as rep_id,
        close_date,
        status = 'won' as won,
        amount,
        date_diff('day', created_date, close_date) as cycle_days
    from fact_deals
    where status in ('won', 'lost') and close_date is not null and owner_id is not null
)

select c.*, s.stage, min(s.snapshot_date) as first_seen
from pipeline_snapshots as s
inner join closed as c on c.deal_id = s.deal_id
where s.stage is not null
group by all
order by c.close_date, c.deal_id, s.stage;
