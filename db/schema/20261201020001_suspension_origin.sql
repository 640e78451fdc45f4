-- migrate:up
-- Who suspended a row, so a suspension is lifted only from that scope or above (an organization
-- admin's suspension of a space cannot be undone by the tenant's admin). Set by the status trigger
-- (db/functions/045_suspension.sql); null while active.
alter table imgplane.organizations add column suspended_by text check (suspended_by in ('platform', 'organization', 'tenant'));
alter table imgplane.tenants add column suspended_by text check (suspended_by in ('platform', 'organization', 'tenant'));
alter table imgplane.spaces add column suspended_by text check (suspended_by in ('platform', 'organization', 'tenant'));
comment on column imgplane.organizations.suspended_by is 'Scope of the admin who suspended it (always platform); null while active.';
comment on column imgplane.tenants.suspended_by is 'Scope of the admin who suspended it (platform or organization); only that scope or above may reactivate it. Null while active.';
comment on column imgplane.spaces.suspended_by is 'Scope of the admin who suspended it (platform, organization or tenant); only that scope or above may reactivate it. Null while active.';

-- migrate:down
alter table imgplane.spaces drop column suspended_by;
alter table imgplane.tenants drop column suspended_by;
alter table imgplane.organizations drop column suspended_by;
