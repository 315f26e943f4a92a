-- skill_counts: skill_profile without the won deals' cycle and amount: the deals, wins and 95 % Wilson interval of every rep's skill cells, which team medians and Suggest pairs compare (no median per cell to work out).
-- grain: one row per rep x dimension x segment, exactly the rows and counts of skill_profile for the same window (rules: skill_deals and skill_counts in schema.sql)
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive)
select
    c.rep_id,
    r.name as rep,
    c.dimension,
    c.segment,
    c.deals::integer as deals,
    c.won::integer as won,
    c.win_rate,
    c.rate_low,
    c.rate_high
from skill_counts($period_start, $period_end) as c
inner join reps as r on r.rep_id = c.rep_id
-- in order: a deterministic answer, and on the shared store the full result of the five
-- grouped scans otherwise never arrived (DuckDB 1.5.5 waited on its tasks for ever, at
-- 5,000,000 deals; with the sort it answers: docs/deploy.md)
order by c.rep_id, c.dimension, c.segment
