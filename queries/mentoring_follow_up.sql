-- mentoring_follow_up: 90 days after a request on a skill cell was accepted, the asker's win rate in that cell in the 90 days before it and the 90 days after, with n. Not proof of cause: other things change too.
-- grain: one row per accepted or done request on a skill cell (topic_kind cell) accepted at least 90 days before as_of; optional rep_id keeps those the rep asked or mentored. Size bands are matched by their quarter (smallest ... largest), products by name ignoring case and spaces.
-- params: $as_of DATE, $rep_id VARCHAR (optional: asker or mentor)
with due as (
    select
        request_id, asker_id, mentor_id, dimension, segment, status,
        accepted_at::date as accepted_on
    from help_requests
    where topic_kind = 'cell' and accepted_at is not null and status in ('accepted', 'done')
        and accepted_at::date + 90 <= $as_of
        and ($rep_id is null or $rep_id in (asker_id, mentor_id))
),

span as (
    select
        coalesce(min(accepted_on) - 90, $as_of) as span_start,
        coalesce(max(accepted_on) + 90, $as_of) as span_end
    from due
),

deals_in_span as (
    select d.*
    from span, skill_deals(span.span_start, span.span_end) as d
    where d.rep_id in (select asker_id from due)
),

matched as (
    select
        u.request_id,
        d.close_date < u.accepted_on as is_before,
        d.won
    from due as u
    inner join deals_in_span as d
        on d.rep_id = u.asker_id
        and d.dimension = u.dimension
        and d.close_date >= u.accepted_on - 90
        and d.close_date < u.accepted_on + 90
        and (
            case u.dimension
                when 'product' then product_key(d.segment) = product_key(u.segment)
                when 'size_band' then regexp_extract(d.segment, '\(([^)]*)\)$', 1)
                    = regexp_extract(u.segment, '\(([^)]*)\)$', 1)
                else d.segment = u.segment
            end
        )
),

counted as (
    select
        request_id,
        count(*) filter (where is_before)::integer as before_deals,
        count(*) filter (where is_before and won)::integer as before_won,
        count(*) filter (where not is_before)::integer as after_deals,
        count(*) filter (where not is_before and won)::integer as after_won
    from matched
    group by request_id
),

final as (
    select
        u.request_id,
        u.asker_id,
        u.mentor_id,
        u.dimension,
        u.segment,
        u.accepted_on,
        coalesce(c.before_deals, 0) as before_deals,
        coalesce(c.before_won, 0) as before_won,
        c.before_won / nullif(c.before_deals, 0) as before_rate,
        coalesce(c.after_deals, 0) as after_deals,
        coalesce(c.after_won, 0) as after_won,
        c.after_won / nullif(c.after_deals, 0) as after_rate,
        c.after_won / nullif(c.after_deals, 0) - c.before_won / nullif(c.before_deals, 0)
            as change
    from due as u
    left join counted as c on c.request_id = u.request_id
)

select * from final
order by accepted_on, request_id
