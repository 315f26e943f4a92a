-- mastermind_history: every change to one Mastermind as the audit log has it, newest first.
-- grain: one row per audited write
-- params: $mastermind_id VARCHAR (the Mastermind)
select a.at_time, a.actor, r.name as actor_name, a.action, a.detail
from audit_log as a
left join reps as r on r.rep_id = a.actor
where a.entity = 'masterminds' and a.entity_id = $mastermind_id
order by a.audit_id desc
