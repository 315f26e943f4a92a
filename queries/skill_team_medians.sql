-- skill_team_medians: the team median win rate of every skill cell in the window: of the reps with at least min_deals closed deals in the cell, of every rep in it when nobody has that many (squadboard/skills.py team_medians and mentor_suggestions work it out the same way).
-- grain: one row per dimension x segment that any rep has closed deals in; reps counts them
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive), $min_deals INTEGER (the plan's mentor_min_deals)
select
    dimension,
    segment,
    coalesce(
        median(win_rate) filter (where deals >= $min_deals), median(win_rate)
    ) as team_median,
    count(*)::integer as reps
from skill_counts($period_start, $period_end)
group by dimension, segment
order by dimension, segment
