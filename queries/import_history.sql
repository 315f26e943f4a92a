-- import_history: every import with who, when, which files and how many rows.
-- grain: one row per import, newest first
-- params: none
select import_id, imported_at, actor, format, files, rows_read, rows_written, details
from import_log
order by import_id desc
