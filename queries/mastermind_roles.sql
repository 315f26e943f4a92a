-- mastermind_roles: a person's part in each Mastermind they own or were invited to.
-- grain: one row per Mastermind
-- params: $rep_id VARCHAR (the person)
select mastermind_id, 'owner' as part
from masterminds
where owner_id = $rep_id
union all
select mastermind_id, case status when 'accepted' then 'helper' else status end as part
from mastermind_helpers
where rep_id = $rep_id
