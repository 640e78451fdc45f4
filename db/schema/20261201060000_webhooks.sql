-- migrate:up
-- Per-organisation webhooks: endpoints, one delivery per (endpoint, event), every attempt logged.
create table imgplane.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references imgplane.organizations (id) on delete cascade,
  url text not null check (url ~ '^https?://[^/?#@\s]+' and length(url) <= 2048),
  event_types text[] not null default '{}' check (cardinality(event_types) <= 64),
  enabled boolean not null default true,
  description text not null default '' check (length(description) <= 500),
  -- AES-256-GCM envelope (core/envelope.ts) of the HMAC secret; the plaintext is shown once.
  secret_ciphertext text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_endpoints_organization_id_idx on imgplane.webhook_endpoints (organization_id);
comment on table imgplane.webhook_endpoints is 'Where an organization wants its events POSTed, signed with HMAC-SHA256 (docs/events.md). Managed by organization-wide admin keys.';
comment on column imgplane.webhook_endpoints.url is 'http(s) URL the events are POSTed to. Loopback, link-local and private addresses are refused unless the operator allows them (WEBHOOK_ALLOW_PRIVATE_NETWORKS).';
comment on column imgplane.webhook_endpoints.event_types is 'Event types delivered, e.g. {asset.created,asset.deleted}; "asset.*" matches every asset event; empty: every event.';
comment on column imgplane.webhook_endpoints.enabled is 'Disabled endpoints get no new deliveries.';
comment on column imgplane.webhook_endpoints.secret_ciphertext is 'Encrypted signing secret. Never readable by request roles.';

create table imgplane.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references imgplane.organizations (id) on delete cascade,
  endpoint_id uuid not null references imgplane.webhook_endpoints (id) on delete cascade,
  event_id bigint not null,
  event_type text not null,
  -- the exact JSON body sent (and signed) on every attempt, so retries and replays are identical
  body text not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_status_code integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (endpoint_id, event_id)
);
create index webhook_deliveries_organization_time_idx on imgplane.webhook_deliveries (organization_id, created_at desc);
create index webhook_deliveries_event_idx on imgplane.webhook_deliveries (event_id);
comment on table imgplane.webhook_deliveries is 'One outbox event to one endpoint: retried with exponential backoff until delivered, then failed after the last attempt. replayWebhookDelivery sends it again.';
comment on column imgplane.webhook_deliveries.event_id is 'imgplane.events.id; also the X-Imgplane-Idempotency-Key receivers dedupe on.';
comment on column imgplane.webhook_deliveries.body is 'JSON body POSTed on every attempt.';
comment on column imgplane.webhook_deliveries.status is 'pending (an attempt is due at next_attempt_at), delivered (a 2xx answer), failed (every attempt failed).';
comment on column imgplane.webhook_deliveries.attempts is 'Attempts made so far (replays included).';
comment on column imgplane.webhook_deliveries.last_status_code is 'HTTP status of the last attempt; null when it got no answer.';

create table imgplane.webhook_delivery_attempts (
  id bigserial primary key,
  organization_id uuid not null references imgplane.organizations (id) on delete cascade,
  delivery_id uuid not null references imgplane.webhook_deliveries (id) on delete cascade,
  attempt integer not null check (attempt >= 1),
  started_at timestamptz not null default now(),
  duration_ms integer not null check (duration_ms >= 0),
  status_code integer,
  error text,
  succeeded boolean not null
);
create index webhook_delivery_attempts_delivery_idx on imgplane.webhook_delivery_attempts (delivery_id, attempt);
comment on table imgplane.webhook_delivery_attempts is 'The delivery log: every POST of a webhook delivery, its answer or error.';
comment on column imgplane.webhook_delivery_attempts.status_code is 'HTTP status answered; null when the request failed (refused address, timeout, connection error).';
comment on column imgplane.webhook_delivery_attempts.error is 'Why the attempt failed; null for a 2xx answer.';

-- migrate:down
drop table imgplane.webhook_delivery_attempts;
drop table imgplane.webhook_deliveries;
drop table imgplane.webhook_endpoints;
