-- skill_profile: win rates from deal outcomes per rep, dimension and segment, with the 95 % Wilson interval (rate_low, rate_high) so a small sample says so.
-- grain: one row per rep x dimension x segment, over the deals the rep owns that closed (won or lost) in the window. Dimensions: overall (segment 'all deals'); product (names differing only by case or spacing are one); size_band (the organisation's won-amount quartiles in the window, labelled with their dollar ranges; deals without an amount are in no band); sector (account attribute, where an import or the demo brought it); stage (closed deals a pipeline snapshot saw at the stage). median_cycle_days and avg_won_amount are of the won deals. Rules in schema.sql (skill_deals, skill_cells); who may see weaknesses in squadboard/skills.py.
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive)
with cells as (
    select * from skill_cells($period_start, $period_end)
),

final as (
    select
        rep_id,
        rep,
        dimension,
        segment,
        deals,
        won,
        win_rate,
        rate_low,
        rate_high,
        median_cycle_days,
        avg_won_amount
    from cells
)

select * from final
order by
    rep,
    rep_id,
    list_position(['overall', 'product', 'size_band', 'sector', 'stage'], dimension),
    list_position(
        ['smallest quarter', 'second quarter', 'third quarter', 'largest quarter'],
        regexp_extract(segment, '\(([^)]*)\)$', 1)
    ),
    segment
