-- applied_sql: db/apply.ts's bookkeeping, read and written by the migrating login only.
alter table imgplane.applied_sql enable row level security;
