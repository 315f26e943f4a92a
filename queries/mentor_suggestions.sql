-- mentor_suggestions: for the seeker's three weakest skill cells, the reps to learn from: the strongest by the lower bound of their 95 % Wilson interval (never the raw rate), and up to two most improved peers, each with evidence as a person would say it.
-- grain: one row per weak cell x suggested mentor. Weak cells: the seeker has at least mentor_min_deals (plan setting, default 10) closed deals in the cell and a win rate below the team median (the median win rate of the reps with at least mentor_min_deals deals in the cell, of every rep in it when nobody has that many), furthest below first; overall is not a cell. strongest: up to 5 reps above the team median with at least mentor_min_deals deals in the cell, by rate_low; most_improved: up to 2 others with at least mentor_min_deals deals in the cell now and in the window of the same length before, by the rise of rate_low. Never the seeker; never someone opted out or at their mentee limit (mentors_with_room).
-- params: $rep_id VARCHAR (the seeker), $period_start DATE (inclusive), $period_end DATE (exclusive)
with setting as (
    select coalesce(max(case when key = 'mentor_min_deals' then value::integer end), 10)
        as min_deals
    from plan_settings
),

cells as materialized (
    select * from skill_counts($period_start, $period_end)
),

medians as (
    -- the team median of each cell: of the reps with at least min_deals deals in it (of
    -- every rep in it when nobody has that many); squadboard/skills.py mirrors it
    select
        c.dimension,
        c.segment,
        coalesce(
            median(c.win_rate) filter (where c.deals >= s.min_deals), median(c.win_rate)
        ) as team_median
    from cells as c, setting as s
    group by c.dimension, c.segment
),

weakest as (
    select
        c.dimension,
        c.segment,
        c.deals as seeker_deals,
        c.won as seeker_won,
        c.win_rate as seeker_rate,
        m.team_median
    from cells as c
    inner join medians as m on m.dimension = c.dimension and m.segment = c.segment
    cross join setting as s
    where c.rep_id = $rep_id
        and c.dimension <> 'overall'
        and c.deals >= s.min_deals
        and c.win_rate < m.team_median
    order by m.team_median - c.win_rate desc, c.deals desc, c.dimension, c.segment
    limit 3
),

candidates as (
    select w.*, c.rep_id as mentor_id, r.name as mentor, c.deals, c.won, c.win_rate, c.rate_low
    from weakest as w
    inner join cells as c on c.dimension = w.dimension and c.segment = w.segment
    inner join reps as r on r.rep_id = c.rep_id
    inner join mentors_with_room as room on room.rep_id = c.rep_id
    cross join setting as s
    where c.rep_id <> $rep_id and c.deals >= s.min_deals
),

before as (
    -- the window of the same length before, of the candidates in the weak cells' dimensions
    select *
    from skill_counts(
        ($period_start - to_days(date_diff('day', $period_start, $period_end)))::date,
        $period_start
    )
    where dimension in (select dimension from weakest)
        and rep_id in (select mentor_id from candidates)
),

strongest as (
    select
        'strongest' as kind,
        *,
        row_number() over (
            partition by dimension, segment order by rate_low desc, deals desc, mentor, mentor_id
        ) as place,
        null::double as low_before
    from candidates
    where win_rate > team_median
    qualify place <= 5
),

improved as (
    select
        'most_improved' as kind,
        c.*,
        row_number() over (
            partition by c.dimension, c.segment
            order by c.rate_low - b.rate_low desc, c.deals desc, c.mentor, c.mentor_id
        ) as place,
        b.rate_low as low_before
    from candidates as c
    inner join before as b
        on b.rep_id = c.mentor_id and b.dimension = c.dimension
        -- size bands are the window's quartiles: the same quarter, whatever its dollars
        and (
            b.segment = c.segment
            or (c.dimension = 'size_band'
                and regexp_extract(b.segment, '\(([^)]*)\)$', 1)
                = regexp_extract(c.segment, '\(([^)]*)\)$', 1))
        )
    cross join setting as s
    where b.deals >= s.min_deals
        and c.rate_low > b.rate_low
        and not exists (
            select 1 from strongest as t
            where t.mentor_id = c.mentor_id and t.dimension = c.dimension
                and t.segment = c.segment
        )
    qualify place <= 2
),

final as (
    select
        kind,
        dimension,
        segment,
        seeker_deals,
        seeker_won,
        seeker_rate,
        team_median,
        mentor_id,
        mentor,
        deals as mentor_deals,
        won as mentor_won,
        win_rate as mentor_rate,
        rate_low as mentor_low,
        mentor || ' won ' || won || ' of ' || deals || ' ' || cell_phrase(dimension, segment)
        || ' (' || pct_text(win_rate) || ', at least ' || pct_text(rate_low) || ')'
        || case
            when kind = 'most_improved'
                then ', up from at least ' || pct_text(low_before) || ' in the window before'
            else ''
        end
        || '; you won ' || seeker_won || ' of ' || seeker_deals
        || ' (' || pct_text(seeker_rate) || '); team median ' || pct_text(team_median) || '.'
            as evidence,
        team_median - seeker_rate as gap,
        place
    from (select * from strongest union all by name select * from improved)
)

select * exclude (gap, place) from final
order by gap desc, dimension, segment, kind desc, place
