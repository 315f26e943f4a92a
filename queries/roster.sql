-- roster: everyone in the roster with their current squad, for pickers and identity.
-- grain: one row per rep
-- params: $as_of DATE (squad membership on this day)
with current_squad as (
    select m.rep_id, m.squad_id
    from squad_membership_days as m
    where $as_of >= m.valid_from and $as_of < m.valid_to
),

led as (
    select manager_id as rep_id, string_agg(squad_id, ',' order by squad_id) as leads_squads
    from squads
    where manager_id is not null
    group by manager_id
),

final as (
    select
        r.rep_id,
        r.name as rep,
        r.email,
        r.role,
        r.access,
        r.active,
        c.squad_id,
        s.name as squad,
        led.leads_squads
    from reps as r
    left join current_squad as c on c.rep_id = r.rep_id
    left join squads as s on s.squad_id = c.squad_id
    left join led on led.rep_id = r.rep_id
)

select * from final
order by squad nulls last, rep
