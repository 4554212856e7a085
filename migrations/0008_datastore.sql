-- 0008 datastore and event log (issue 7).
--
-- The datastore keeps using `kv` (0001): a key is `<pack>.<name>`, the first segment being the
-- pack it is scoped to (RBAC). A secret's `value` is not the value but an AES-256-GCM envelope
-- `{"v":1,"alg":"A256GCM","kid":…,"iv":…,"tag":…,"ct":…}` written by @weir/store's Datastore, so
-- the clear value is never in the database, a dump or a backup. This migration only makes the
-- scoping rule something the database holds too.
ALTER TABLE kv ADD COLUMN pack text GENERATED ALWAYS AS (split_part(key, '.', 1)) STORED;
CREATE INDEX kv_pack_key ON kv (pack, key);

-- The event log behind `GET /stream` (@weir/api's EventLog): every `weir.event.>` message, in
-- the order it was recorded. `seq` is the SSE event id a client resumes from (Last-Event-ID).
-- Writers take an advisory lock for the whole insert transaction, so seqs become visible in
-- order: a reader that has seen seq N never later finds a smaller one committed behind it.
-- Which pack, sites, execution and workflow an event concerns are columns, so the stream filters
-- and authorizes without parsing `data`. Rows older than the retention period are deleted.
CREATE TABLE event_log (
  seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The subject less `weir.event.`: `execution.finished`, `task.log`, `server.state_changed`.
  kind          text NOT NULL,
  execution_id  text,
  workflow      text,
  pack          text,
  -- The sites the event touches (a JSON array of names; empty when it names none).
  sites         jsonb NOT NULL DEFAULT '[]',
  data          jsonb NOT NULL,
  -- The publisher's msgId: a redelivered message that has one is recorded once.
  msg_id        text,
  at            timestamptz NOT NULL
);
CREATE UNIQUE INDEX event_log_msg_id ON event_log (msg_id) WHERE msg_id IS NOT NULL;
CREATE INDEX event_log_at ON event_log (at);
CREATE INDEX event_log_execution ON event_log (execution_id, seq) WHERE execution_id IS NOT NULL;
CREATE INDEX event_log_workflow ON event_log (workflow, seq) WHERE workflow IS NOT NULL;
CREATE INDEX event_log_kind ON event_log (kind, seq);
