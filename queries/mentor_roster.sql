-- mentor_roster: every active rep's mentor settings (no row: available, limit 2), their accepted mentees now, free slots, and requests they mentored to done.
-- grain: one row per active rep
-- params: none
with settings as (
    select
        r.rep_id,
        r.name as rep,
        coalesce(s.available, true) as available,
        coalesce(s.mentee_limit, 2) as mentee_limit,
        coalesce(s.topics, '') as topics
    from reps as r
    left join mentor_settings as s on s.rep_id = r.rep_id
    where r.active
),

counts as (
    select
        mentor_id as rep_id,
        count(*) filter (where status = 'accepted')::integer as mentees,
        count(*) filter (where status = 'done')::integer as mentored_done
    from help_requests
    group by mentor_id
),

final as (
    select
        s.rep_id,
        s.rep,
        s.available,
        s.mentee_limit,
        s.topics,
        coalesce(c.mentees, 0) as mentees,
        case
            when s.available then greatest(s.mentee_limit - coalesce(c.mentees, 0), 0)
            else 0
        end::integer as slots,
        coalesce(c.mentored_done, 0) as mentored_done
    from settings as s
    left join counts as c on c.rep_id = s.rep_id
)

select * from final
order by rep, rep_id
