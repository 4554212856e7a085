-- 0001 foundation: packs, triggers, dead letters, the datastore and the audit log (DESIGN §10).
-- Applied by @weir/store's migrator inside one transaction; never edit an applied migration,
-- add a new numbered file instead (the migrator refuses a changed checksum).
-- Times are timestamptz; ids are text holding UUIDv7 (time-ordered, so indexes stay append-mostly).

CREATE TABLE packs (
  name          text PRIMARY KEY,
  version       text NOT NULL,
  description   text NOT NULL DEFAULT '',
  content_hash  text NOT NULL,
  definition    jsonb NOT NULL,
  loaded_at     timestamptz NOT NULL
);

CREATE TABLE triggers (
  id           text PRIMARY KEY,
  type         text NOT NULL,
  payload      jsonb NOT NULL,
  source       text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  trace_id     text NOT NULL
);
-- "newest of type T since S" and the retention delete ("occurred before cutoff").
CREATE INDEX triggers_type_occurred_at ON triggers (type, occurred_at);
CREATE INDEX triggers_occurred_at ON triggers (occurred_at);

CREATE TABLE dead_letters (
  id           text PRIMARY KEY,
  subject      text NOT NULL,
  consumer     text NOT NULL,
  data         jsonb NOT NULL,
  headers      jsonb NOT NULL DEFAULT '{}',
  msg_id       text,
  attempts     integer NOT NULL,
  reason       text NOT NULL,
  recorded_at  timestamptz NOT NULL
);
CREATE INDEX dead_letters_subject_recorded_at ON dead_letters (subject, recorded_at);
CREATE INDEX dead_letters_recorded_at ON dead_letters (recorded_at);

CREATE TABLE kv (
  key         text PRIMARY KEY,
  value       jsonb NOT NULL,
  secret      boolean NOT NULL DEFAULT false,
  expires_at  timestamptz,
  updated_at  timestamptz NOT NULL
);
-- The primary key's btree follows the database collation, which cannot serve LIKE 'prefix%';
-- text_pattern_ops can.
CREATE INDEX kv_key_prefix ON kv (key text_pattern_ops);
-- Lets a sweeper find expired entries without scanning the ones that never expire.
CREATE INDEX kv_expires_at ON kv (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE audit_log (
  id        text PRIMARY KEY,
  actor     text NOT NULL,
  action    text NOT NULL,
  resource  text NOT NULL,
  origin    text NOT NULL,
  result    text NOT NULL CHECK (result IN ('ok', 'refused', 'error')),
  details   jsonb NOT NULL DEFAULT '{}',
  at        timestamptz NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_actor_at ON audit_log (actor, at);
CREATE INDEX audit_log_resource_at ON audit_log (resource, at);

-- Append-only for everybody, table owner included (a REVOKE would not bind the owner).
-- Removing history on purpose means dropping this trigger in a migration: a reviewed act.
CREATE FUNCTION weir_refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'audit entries are never updated or deleted';
END;
$$;

CREATE TRIGGER audit_log_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION weir_refuse_audit_change();

CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION weir_refuse_audit_change();
