-- skill_rep_profile: one rep's rows of skill_profile (the same columns, rules and order), for a page that shows one rep's skills without working out everyone's.
-- grain: one row per dimension x segment of the rep's deals that closed (won or lost) in the window
-- params: $rep_id VARCHAR (the rep), $period_start DATE (inclusive), $period_end DATE (exclusive)
with cells as (
    select * from skill_cells($period_start, $period_end) where rep_id = $rep_id
)

select * from cells
order by
    rep,
    rep_id,
    list_position(['overall', 'product', 'size_band', 'sector', 'stage'], dimension),
    list_position(
        ['smallest quarter', 'second quarter', 'third quarter', 'largest quarter'],
        regexp_extract(segment, '\(([^)]*)\)$', 1)
    ),
    segment
