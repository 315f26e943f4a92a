-- leaderboard: one board for the period, every squad member's value on the chosen metric ranked high to low; ties share a rank.
-- grain: one row per rep who was in a squad during the period and has a value on the metric (managers are not ranked)
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive), $metric VARCHAR (credited, pct_to_target, most_improved, assists, overlay, activity, kudos, contribution, mentoring or mastermind)
-- Weights come from plan_settings with the defaults of squadboard/plan.py (a missing row is the default).
with setting as (
    select
        coalesce(max(case when key = 'contribution_credited' then value::double end), 0.30)
            as c_credited,
        coalesce(max(case when key = 'contribution_assists' then value::double end), 0.20)
            as c_assists,
        coalesce(max(case when key = 'contribution_overlay' then value::double end), 0.10)
            as c_overlay,
        coalesce(max(case when key = 'contribution_activity' then value::double end), 0.20)
            as c_activity,
        coalesce(max(case when key = 'contribution_kudos' then value::double end), 0.20)
            as c_kudos,
        coalesce(max(case when key = 'contribution_mentoring' then value::double end), 0.0)
            as c_mentoring,
        coalesce(max(case when key = 'contribution_mastermind' then value::double end), 0.0)
            as c_mastermind
    from plan_settings
),

previous as (
    -- the period of the same number of months just before this one
    select ($period_start - to_months(date_diff('month', $period_start, $period_end)))::date
        as prev_start
),

membership as (
    select
        m.rep_id,
        m.squad_id,
        row_number() over (partition by m.rep_id order by m.valid_from desc) as latest
    from squad_membership_days as m
    where m.valid_from < $period_end and m.valid_to > $period_start
),

people as (
    select r.rep_id, r.name as rep, s.name as squad
    from membership as m
    inner join reps as r on r.rep_id = m.rep_id
    left join squads as s on s.squad_id = m.squad_id
    where m.latest = 1 and r.role <> 'manager'
),

credited as (
    select rep_id, sum(amount)::double as credited
    from credited_revenue
    where close_date >= $period_start and close_date < $period_end
    group by rep_id
),

prev_credited as (
    select rep_id, sum(amount)::double as credited
    from credited_revenue, previous
    where close_date >= previous.prev_start and close_date < $period_start
    group by rep_id
),

target as (
    select owner_id as rep_id, quota::double as target
    from quota_in_period('rep_stretch', $period_start, $period_end)
),

prev_target as (
    select owner_id as rep_id, quota::double as target
    from quota_in_period(
        'rep_stretch',
        ($period_start - to_months(date_diff('month', $period_start, $period_end)))::date,
        $period_start
    )
),

assists as (
    -- won deals helped on without owning them (splits, confirmed overlays, activity)
    select rep_id, count(distinct deal_id)::double as assists
    from deal_helpers
    where close_date >= $period_start and close_date < $period_end
    group by rep_id
),

overlay as (
    select rep_id, sum(amount)::double as overlay
    from confirmed_overlay
    where close_date >= $period_start and close_date < $period_end
    group by rep_id
),

activity as (
    select
        a.rep_id,
        sum(w.weight * a.activities) as activity
    from activity_counts($period_start, $period_end) as a
    inner join activity_weights as w on w.kind = a.kind
    group by a.rep_id
),

kudos_received as (
    select to_rep as rep_id, count(*)::double as kudos
    from kudos
    where given_at >= $period_start and given_at < $period_end
    group by to_rep
),

mentoring as (
    -- requests for help the rep, as mentor, saw through to done in the period (issue #13)
    select mentor_id as rep_id, count(*)::double as mentoring
    from help_requests
    where status = 'done' and done_at >= $period_start and done_at < $period_end
    group by mentor_id
),

mastermind_help as (
    -- Masterminds helped on: accepted, and a note written or a step finished in the period
    select rep_id, count(distinct mastermind_id)::double as mastermind
    from mastermind_contributions
    where contributed_at >= $period_start and contributed_at < $period_end
    group by rep_id
),

measured as (
    select
        p.rep_id,
        p.rep,
        p.squad,
        coalesce(c.credited, 0) as credited,
        coalesce(c.credited, 0) / nullif(t.target, 0) as pct_to_target,
        coalesce(c.credited, 0) / nullif(t.target, 0)
        - coalesce(pc.credited, 0) / nullif(pt.target, 0) as most_improved,
        coalesce(a.assists, 0) as assists,
        coalesce(o.overlay, 0) as overlay,
        coalesce(act.activity, 0) as activity,
        coalesce(k.kudos, 0) as kudos,
        coalesce(mt.mentoring, 0) as mentoring,
        coalesce(mh.mastermind, 0) as mastermind
    from people as p
    left join credited as c on c.rep_id = p.rep_id
    left join prev_credited as pc on pc.rep_id = p.rep_id
    left join target as t on t.rep_id = p.rep_id
    left join prev_target as pt on pt.rep_id = p.rep_id
    left join assists as a on a.rep_id = p.rep_id
    left join overlay as o on o.rep_id = p.rep_id
    left join activity as act on act.rep_id = p.rep_id
    left join kudos_received as k on k.rep_id = p.rep_id
    left join mentoring as mt on mt.rep_id = p.rep_id
    left join mastermind_help as mh on mh.rep_id = p.rep_id
),

best as (
    -- each board's best value, as an aggregate: DuckDB 1.5.5 can fail a window with an
    -- empty OVER clause at random, and then refuses every query until the process
    -- restarts (duckdb/duckdb#25713); tests/test_queries.py keeps such windows out
    select
        max(credited) as credited,
        max(assists) as assists,
        max(overlay) as overlay,
        max(activity) as activity,
        max(kudos) as kudos,
        max(mentoring) as mentoring,
        max(mastermind) as mastermind
    from measured
),

scored as (
    -- composite: each board scaled to its best rep (1.0), weighted, on a 0-100 scale
    select
        m.*,
        100 * (
            s.c_credited * coalesce(m.credited / nullif(b.credited, 0), 0)
            + s.c_assists * coalesce(m.assists / nullif(b.assists, 0), 0)
            + s.c_overlay * coalesce(m.overlay / nullif(b.overlay, 0), 0)
            + s.c_activity * coalesce(m.activity / nullif(b.activity, 0), 0)
            + s.c_kudos * coalesce(m.kudos / nullif(b.kudos, 0), 0)
            + s.c_mentoring * coalesce(m.mentoring / nullif(b.mentoring, 0), 0)
            + s.c_mastermind * coalesce(m.mastermind / nullif(b.mastermind, 0), 0)
        ) as contribution
    from measured as m, setting as s, best as b
),

picked as (
    select
        rep_id,
        rep,
        squad,
        case $metric
            when 'credited' then credited
            when 'pct_to_target' then pct_to_target
            when 'most_improved' then most_improved
            when 'assists' then assists
            when 'overlay' then overlay
            when 'activity' then activity
            when 'kudos' then kudos
            when 'contribution' then contribution
            when 'mentoring' then mentoring
            when 'mastermind' then mastermind
            else error(
                'metric must be one of credited, pct_to_target, most_improved, assists, '
                || 'overlay, activity, kudos, contribution, mentoring, mastermind'
            )
        end::double as value
    from scored
),

final as (
    select
        rank() over (order by round(value, 6) desc)::integer as rank,
        rep_id,
        rep,
        squad,
        value
    from picked
    where value is not null
)

select * from final
order by rank, rep
