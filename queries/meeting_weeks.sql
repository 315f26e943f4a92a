-- meeting_weeks: the frozen weeks a meeting can open, newest first: which snapshot each one's end is from (carried forward when nothing was imported that week) and whether the week before is frozen too (the start of its bridge).
-- grain: one row per frozen week
-- params: none
select
    w.week_start,
    w.week_end,
    w.source_date,
    w.as_of,
    w.source_date is null as carried,
    b.as_of as start_as_of,
    b.week_start is not null as has_start
from meeting_weeks as w
left join meeting_weeks as b on b.week_start = w.week_start - 7
order by w.week_start desc
