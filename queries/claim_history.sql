-- claim_history: every step taken on one claim (filed, confirmed, rejected), from the audit log.
-- grain: one row per audit entry of the claim, oldest first
-- params: $credit_id VARCHAR (the claim)
select a.at_time, a.actor, r.name as actor_name, a.action, a.detail
from audit_log as a
left join reps as r on r.rep_id = a.actor
where a.entity = 'deal_credits' and a.entity_id = $credit_id
order by a.audit_id
