-- deals_behind: the deal rows behind a credited, forecast or pipeline figure: won revenue credits and probability-weighted open credits in the period.
-- grain: one row per (deal, credited rep); kind 'won' rows add up to credited, kind 'open' rows' weighted add up to the weighted pipeline
-- params: $period_start DATE (inclusive), $period_end DATE (exclusive), $as_of DATE (won deals closed by the end of this day), $squad_id VARCHAR (optional: only credits to this squad), $rep_id VARCHAR (optional: only credits to this rep)
with won as (
    select
        'won' as kind, deal_id, rep_id, squad_id, close_date, percent,
        amount as credited, amount as weighted, deal, account, product, stage, deal_amount,
        probability
    from credited_revenue
    where close_date >= $period_start and close_date < $period_end and close_date <= $as_of
),

open_credits as (
    select
        'open' as kind, deal_id, rep_id, squad_id, close_date, percent,
        amount as credited, weighted, deal, account, product, stage, deal_amount, probability
    from open_pipeline_credits
    where close_date >= $period_start and close_date < $period_end
),

picked as (
    select * from won
    union all
    select * from open_credits
),

final as (
    select
        p.kind,
        p.deal_id,
        p.deal,
        p.account,
        p.product,
        p.stage,
        p.close_date,
        p.rep_id,
        coalesce(r.name, p.rep_id) as rep,
        p.squad_id,
        s.name as squad,
        p.deal_amount,
        p.percent::decimal(9, 4) as split_pct,
        p.credited::decimal(18, 2) as credited,
        p.probability,
        p.weighted::decimal(18, 2) as weighted
    from picked as p
    left join reps as r on r.rep_id = p.rep_id
    left join squads as s on s.squad_id = p.squad_id
    where ($squad_id is null or p.squad_id = $squad_id)
        and ($rep_id is null or p.rep_id = $rep_id)
)

select * from final
order by kind desc, close_date desc, deal_id, rep_id
