-- migrate:up
-- What db/apply.ts last applied of db/functions and db/policies: a digest of those files and of
-- the policy key catalog. A process that starts with the same files skips re-declaring them,
-- which locks every table and could deadlock with the requests of the servers already running.
create table imgplane.applied_sql (
  singleton boolean primary key default true check (singleton),
  digest text not null,
  applied_at timestamptz not null default now()
);
comment on table imgplane.applied_sql is 'One row: the digest of the functions, policies and policy keys the database was last applied with, and when (db/apply.ts).';

-- migrate:down
drop table imgplane.applied_sql;
