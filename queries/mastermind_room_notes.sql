-- mastermind_room_notes: a Mastermind's notes thread and decision log, oldest first, as typed.
-- grain: one row per note or decision
-- params: $mastermind_id VARCHAR (the Mastermind)
select n.note_id, n.kind, n.written_at, n.author_id, r.name as author, n.body
from mastermind_notes as n
left join reps as r on r.rep_id = n.author_id
where n.mastermind_id = $mastermind_id
order by n.written_at, n.rowid  -- rowid: the order written, within a second
