-- mentoring_week: what happened to requests for help in one Monday week: asked, accepted (mentoring started), declined, withdrawn and done, for the weekly meeting.
-- grain: one row per request event whose time falls in [week_start, week_start + 7 days); optional squad_id keeps events whose asker or mentor is in the squad at the event
-- params: $week_start DATE (a Monday), $squad_id VARCHAR (optional)
with events as (
    select request_id, 'asked' as event, asked_at as at_time from help_requests
    union all
    select request_id, 'accepted', accepted_at from help_requests where accepted_at is not null
    union all
    select request_id, 'declined', declined_at from help_requests where declined_at is not null
    union all
    select request_id, 'withdrawn', withdrawn_at from help_requests where withdrawn_at is not null
    union all
    select request_id, 'done', done_at from help_requests where done_at is not null
),

in_week as (
    select * from events
    where at_time >= $week_start and at_time < $week_start + interval 7 day
),

final as (
    select
        e.at_time,
        e.event,
        e.request_id,
        h.asker_id,
        a.name as asker,
        sa.squad_id as asker_squad_id,
        h.mentor_id,
        m.name as mentor,
        sm.squad_id as mentor_squad_id,
        h.topic,
        h.status
    from in_week as e
    inner join help_requests as h on h.request_id = e.request_id
    inner join reps as a on a.rep_id = h.asker_id
    inner join reps as m on m.rep_id = h.mentor_id
    left join squad_membership_days as sa
        on sa.rep_id = h.asker_id and e.at_time::date >= sa.valid_from
        and e.at_time::date < sa.valid_to
    left join squad_membership_days as sm
        on sm.rep_id = h.mentor_id and e.at_time::date >= sm.valid_from
        and e.at_time::date < sm.valid_to
    where $squad_id is null or $squad_id in (sa.squad_id, sm.squad_id)
)

select * from final
order by at_time, request_id, list_position(['asked', 'accepted', 'declined', 'withdrawn', 'done'], event)
