-- migrate:up
-- Retention (worker/tasks/data-retention.ts) deletes by age, platform-wide, in small batches
-- oldest first; each batch reads one of these instead of scanning the table. Events use
-- events_settled_idx (db/schema/20261201030000_outbox_dead_letter.sql).
create index assets_deleted_at_idx on imgplane.assets (deleted_at) where deleted_at is not null;
-- append-only: the organisation-leading index serves tenants' reads, this one the cutoff
create index audit_logs_created_at_idx on imgplane.audit_logs (created_at);
-- record_usage() updates counters only, never day: the access flush and usage upserts stay HOT
create index usage_metrics_day_idx on imgplane.usage_metrics (day);

-- migrate:down
drop index imgplane.usage_metrics_day_idx;
drop index imgplane.audit_logs_created_at_idx;
drop index imgplane.assets_deleted_at_idx;
