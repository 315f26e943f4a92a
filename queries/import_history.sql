-- import_history: every import with who, when, which files, how many rows, and whether it was undone.
-- grain: one row per import, newest first
-- params: none
select
    import_id,
    imported_at,
    actor,
    format,
    files,
    rows_read,
    rows_written,
    details,
    undone_at,
    undone_by
from import_log
order by import_id desc
