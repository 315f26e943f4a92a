-- mastermind_deals: the deal of every deal Mastermind as it stands now (name, stage, status, amount, close date).
-- grain: one row per Mastermind with a deal that is still in the deals table
-- params: none
select m.mastermind_id, coalesce(d.name, d.deal_id) as deal, d.stage, d.status as deal_status, d.amount, d.close_date
from masterminds as m
inner join deals as d on d.deal_id = m.deal_id
