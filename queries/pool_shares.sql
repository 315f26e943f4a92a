-- pool_shares: the deal-pod pool of each won deal closed in the period, divided among its pod by contribution on the deal, in whole cents that add up to the pool.
-- grain: one row per pod member per won deal (pod = owner, revenue-split reps and confirmed overlay reps)
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive), $viewer_id VARCHAR (optional: only the pods of deals this person is in or that have a member of a squad they manage in the period; pages still apply who may see what), $squad_id VARCHAR (optional: only pods with a member who was in this squad in the period)
-- share is the member's fraction of the pool, amount their money. Points = weighted activities
-- on the deal + pool_kudos_points per kudos tied to the deal; a pod with no points splits equally.
-- Cents: everyone gets their exact share rounded down, the cents left over go one each to the
-- largest remainders (squadboard/contribution.py split_to_cents is the same rule in Python).
with setting as (
    select
        coalesce(max(case when key = 'pool_rule' then json_extract_string(value, '$') end), 'percent')
            as pool_rule,
        coalesce(max(case when key = 'pool_percent' then value::double end), 2.0) as pool_percent,
        coalesce(
            max(case when key = 'pool_band_edges' then json_extract_string(value, '$') end),
            '25000,75000'
        ) as band_edges,
        coalesce(
            max(case when key = 'pool_band_amounts' then json_extract_string(value, '$') end),
            '250,750,1500'
        ) as band_amounts,
        coalesce(max(case when key = 'pool_kudos_points' then value::double end), 2.0)
            as kudos_points
    from plan_settings
),

bands as (
    select
        list_transform(
            list_filter(string_split(band_edges, ','), lambda x: trim(x) <> ''), lambda x: trim(x)::double
        ) as edges,
        list_transform(
            list_filter(string_split(band_amounts, ','), lambda x: trim(x) <> ''),
            lambda x: trim(x)::decimal(18, 2)
        ) as amounts
    from setting
),

in_period as (
    select deal_id, name, owner_id, close_date, amount
    from deals
    where status = 'won' and amount is not null
        and close_date >= $period_start and close_date < $period_end
),

-- the viewer, the people of the squads they manage and of the squad asked for
watched as (
    select $viewer_id as rep_id
    union
    select m.rep_id
    from squad_membership_days as m
    inner join squads as s on s.squad_id = m.squad_id
    where (s.manager_id = $viewer_id or s.squad_id = $squad_id)
        and m.valid_from < $period_end and m.valid_to > $period_start
),

watched_deals as (
    select deal_id from in_period where owner_id in (select rep_id from watched)
    union
    select deal_id from credited_revenue
    where close_date >= $period_start and close_date < $period_end
        and rep_id in (select rep_id from watched)
    union
    select deal_id from confirmed_overlay
    where close_date >= $period_start and close_date < $period_end
        and rep_id in (select rep_id from watched)
),

won as (
    select
        d.deal_id,
        coalesce(d.name, d.deal_id) as deal,
        d.owner_id,
        d.close_date,
        d.amount as deal_amount,
        case
            when s.pool_rule = 'band'
                then b.amounts[1 + len(list_filter(b.edges, lambda e: e <= d.amount::double))]
            else round(d.amount::decimal(38, 2) * s.pool_percent::decimal(9, 4) / 100, 2)
        end::decimal(18, 2) as pool
    from in_period as d, setting as s, bands as b
    where ($viewer_id is null and $squad_id is null)
        or d.deal_id in (select deal_id from watched_deals)
),

pod as (
    select deal_id, owner_id as rep_id, 'owner' as pod_role from won where owner_id is not null
    union
    select c.deal_id, c.rep_id, 'revenue split' from deal_credits as c
    inner join won on won.deal_id = c.deal_id
    where c.credit_type = 'revenue' and c.rep_id is distinct from won.owner_id
    union
    select o.deal_id, o.rep_id, 'overlay ' || coalesce(o.deal_role, '') from confirmed_overlay as o
    inner join won on won.deal_id = o.deal_id
    where o.rep_id is distinct from won.owner_id
),

members as (
    select deal_id, rep_id, string_agg(pod_role, ', ' order by pod_role) as pod_role
    from pod
    group by deal_id, rep_id
),

activity_points as (
    select
        a.deal_id,
        a.rep_id,
        sum(w.weight * a.activities) as activity_points,
        sum(a.activities)::integer as activities
    from deal_activity as a
    inner join activity_weights as w on w.kind = a.kind
    where a.close_date >= $period_start and a.close_date < $period_end
        and a.deal_id in (select deal_id from won)
    group by a.deal_id, a.rep_id
),

deal_kudos as (
    select deal_id, to_rep as rep_id, count(*)::integer as kudos
    from kudos
    where deal_id in (select deal_id from won)
    group by deal_id, to_rep
),

pointed as (
    select
        m.deal_id,
        m.rep_id,
        m.pod_role,
        coalesce(ap.activities, 0) as activities,
        coalesce(ap.activity_points, 0) as activity_points,
        coalesce(k.kudos, 0) as kudos,
        coalesce(ap.activity_points, 0) + coalesce(k.kudos, 0) * s.kudos_points as points
    from members as m
    cross join setting as s
    left join activity_points as ap on ap.deal_id = m.deal_id and ap.rep_id = m.rep_id
    left join deal_kudos as k on k.deal_id = m.deal_id and k.rep_id = m.rep_id
),

weighted as (
    -- integer arithmetic throughout: points in 1/10000ths, the pool in cents
    select
        p.*,
        case
            when sum(p.points) over (partition by p.deal_id) > 0
                then round(p.points * 10000)::hugeint
            else 1::hugeint
        end as weight,
        (won.pool * 100)::hugeint as pool_cents
    from pointed as p
    inner join won on won.deal_id = p.deal_id
),

divided as (
    select
        *,
        pool_cents * weight // sum(weight) over (partition by deal_id) as floor_cents,
        pool_cents * weight % sum(weight) over (partition by deal_id) as remainder
    from weighted
),

rounded as (
    select
        *,
        pool_cents - sum(floor_cents) over (partition by deal_id) as cents_left,
        row_number() over (partition by deal_id order by remainder desc, rep_id) as remainder_rank
    from divided
),

final as (
    select
        r.deal_id,
        r.rep_id,
        reps.name as rep,
        (
            (r.floor_cents + case when r.remainder_rank <= r.cents_left then 1 else 0 end)
            / nullif(r.pool_cents, 0)
        )::double as share,
        (
            (r.floor_cents + case when r.remainder_rank <= r.cents_left then 1 else 0 end)
            / 100
        )::decimal(18, 2) as amount,
        won.deal,
        won.close_date,
        won.deal_amount,
        won.pool,
        r.pod_role,
        r.activities,
        r.activity_points,
        r.kudos,
        r.points
    from rounded as r
    inner join won on won.deal_id = r.deal_id
    left join reps on reps.rep_id = r.rep_id
)

select * from final
order by close_date, deal_id, amount desc, rep_id
