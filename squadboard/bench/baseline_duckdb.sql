-- The DuckDB baseline (issue #19): the benchmark's four views straight over the raw tables,
-- loaded in memory from the CSV exports, without Squadboard's derived tables: what a user who
-- knows SQL would write. Same rules as squadboard/bench/baseline.py: each credit in whole
-- cents, a deal's leftover cents to its largest remainders (ties: the lower rep_id).

-- Revenue credits (explicit splits, else 100 % to the owner) of deals of status st closing in
-- [ps, pe) and on or before upto.
create or replace macro credits(st, ps, pe, upto) as table
with d as (
    select deal_id, owner_id, amount, probability, close_date
    from deals
    where status = st and amount is not null
        and close_date >= ps and close_date < pe and close_date <= upto
),

splits as (
    select deal_id, rep_id, percent::double as percent
    from deal_credits where credit_type = 'revenue'
),

shares as (
    select deal_id, rep_id, percent from splits
    union all
    select deal_id, owner_id, 100.0 from d
    where owner_id is not null and deal_id not in (select deal_id from splits)
),

exact as (
    select
        s.deal_id, s.rep_id, d.close_date,
        d.amount * s.percent / 100 as exact,
        d.amount * s.percent / 100 * coalesce(d.probability, 0) as weighted,
        round(d.amount * s.percent / 100 * 100, 6) as cents
    from shares as s inner join d on d.deal_id = s.deal_id
),

ranked as (
    select
        *,
        round(sum(cents) over (partition by deal_id))
        - sum(floor(cents)) over (partition by deal_id) as spare,
        row_number() over (
            partition by deal_id order by cents - floor(cents) desc, rep_id
        ) as place
    from exact
)

select deal_id, rep_id, close_date, weighted,
    (floor(cents) + (place <= spare)::integer) / 100 as credit
from ranked;

create or replace macro with_squad(st, ps, pe, upto) as table
select c.*, m.squad_id
from credits(st, ps, pe, upto) as c
inner join squad_members as m
    on m.rep_id = c.rep_id
    and c.close_date >= m.valid_from and c.close_date < coalesce(m.valid_to, date '9999-12-31');

create or replace macro quota_share(k, ps, pe) as table
select
    owner_id,
    round(sum(amount * date_diff('day', greatest(period_start, ps), least(period_end, pe))
        / date_diff('day', period_start, period_end)), 2) as quota
from quotas
where kind = k and period_start < pe and period_end > ps
group by owner_id;

-- view: squad_attainment
with credited as (
    select squad_id, sum(credit) as credit
    from with_squad('won', $ps, $pe, $as_of) group by squad_id
),

pipeline as (
    select squad_id, sum(weighted) as weighted
    from with_squad('open', $ps, $pe, date '9999-12-31') group by squad_id
)

select
    s.squad_id,
    q.quota,
    round(coalesce(c.credit, 0), 2) as credited,
    round(coalesce(c.credit, 0), 2) / nullif(q.quota, 0) as attainment,
    round(coalesce(c.credit, 0) + coalesce(p.weighted, 0), 2) as forecast
from squads as s
left join quota_share('squad_base', $ps, $pe) as q on q.owner_id = s.squad_id
left join credited as c on c.squad_id = s.squad_id
left join pipeline as p on p.squad_id = s.squad_id;

-- view: rep_attainment
with credited as (
    select rep_id, sum(credit) as credit
    from credits('won', $ps, $pe, $as_of) group by rep_id
)

select
    r.rep_id,
    q.quota as stretch_target,
    round(coalesce(c.credit, 0), 2) as credited,
    round(coalesce(c.credit, 0), 2) / nullif(q.quota, 0) as attainment
from reps as r
left join quota_share('rep_stretch', $ps, $pe) as q on q.owner_id = r.rep_id
left join credited as c on c.rep_id = r.rep_id;

-- view: leaderboard
select rep_id, round(sum(credit), 2) as value
from credits('won', $ps, $pe, date '9999-12-31')
group by rep_id
order by value desc, rep_id;

-- view: pipeline_movement
with days as (
    select distinct snapshot_date from pipeline_snapshots
    where snapshot_date <= $as_of order by snapshot_date desc limit 2
),

now as (
    select deal_id, owner_id, amount from pipeline_snapshots
    where snapshot_date = (select max(snapshot_date) from days)
),

before as (
    select deal_id, owner_id, amount from pipeline_snapshots
    where snapshot_date = (select min(snapshot_date) from days)
)

select
    coalesce(n.owner_id, b.owner_id) as owner_id,
    round(coalesce(sum(n.amount), 0), 2) as pipeline,
    round(coalesce(sum(b.amount), 0), 2) as pipeline_before,
    round(coalesce(sum(case when b.deal_id is null then n.amount else 0 end), 0), 2) as added,
    round(coalesce(sum(case when n.deal_id is null then b.amount else 0 end), 0), 2) as removed
from now as n
full outer join before as b on b.deal_id = n.deal_id
group by all;
