-- help_requests: requests for help with the asker's and the mentor's names and squads (on as_of), the deal's name and the thank-you kudos; who may see which is decided in squadboard/mentoring.py.
-- grain: one row per request, newest first; optional rep_id keeps those the rep asked or was asked, optional squad_id those whose asker or mentor is in the squad on as_of
-- params: $as_of DATE (squads on this day), $rep_id VARCHAR (optional: asker or mentor), $squad_id VARCHAR (optional)
with squad_now as (
    select rep_id, squad_id
    from squad_membership_days
    where $as_of >= valid_from and $as_of < valid_to
),

final as (
    select
        h.request_id,
        h.status,
        h.asker_id,
        a.name as asker,
        sa.squad_id as asker_squad_id,
        h.mentor_id,
        m.name as mentor,
        sm.squad_id as mentor_squad_id,
        h.topic_kind,
        h.dimension,
        h.segment,
        h.account,
        h.topic,
        h.message,
        h.deal_id,
        coalesce(d.name, d.deal_id) as deal,
        h.note,
        h.asked_at,
        h.accepted_at,
        h.declined_at,
        h.withdrawn_at,
        h.done_at,
        h.thanked_kudos_id
    from help_requests as h
    inner join reps as a on a.rep_id = h.asker_id
    inner join reps as m on m.rep_id = h.mentor_id
    left join squad_now as sa on sa.rep_id = h.asker_id
    left join squad_now as sm on sm.rep_id = h.mentor_id
    left join deals as d on d.deal_id = h.deal_id
    where ($rep_id is null or $rep_id in (h.asker_id, h.mentor_id))
        and ($squad_id is null or $squad_id in (sa.squad_id, sm.squad_id))
)

select * from final
order by asked_at desc, request_id
