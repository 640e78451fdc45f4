-- migrate:up
-- Preset names are used as `preset_<name>` in URL ops, where '-' separates tokens: a name with '-'
-- could never be requested. Align the rule with the URL grammar (core/ops/grammar.ts PRESET_NAME).
alter table imgplane.presets drop constraint presets_name_check;
alter table imgplane.presets add constraint presets_name_check check (name ~ '^[a-z0-9][a-z0-9_]{0,63}$');
comment on column imgplane.presets.name is 'Name used in URLs as preset_<name>: lowercase letters, digits and _ (no -, which separates URL ops).';

-- migrate:down
alter table imgplane.presets drop constraint presets_name_check;
alter table imgplane.presets add constraint presets_name_check check (name ~ '^[a-z0-9][a-z0-9-]{0,62}$');
