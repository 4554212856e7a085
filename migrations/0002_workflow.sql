-- 0002 workflow: executions, their append-only event log and task attempts (DESIGN §5, §10, issue 3).
-- Owned by @weir/workflow (its Kysely view is packages/workflow/src/workflow-tables.ts).

-- One row per execution. `definition` is the workflow as written, pinned at start together with
-- the pack's name, version and content hash: reloading a pack changes only new runs. `last_seq`
-- is the seq of the newest event; the lease says which engine drives the run until when.
CREATE TABLE executions (
  id                   text PRIMARY KEY,
  workflow             text NOT NULL,
  pack_name            text NOT NULL,
  pack_version         text NOT NULL,
  pack_content_hash    text NOT NULL,
  definition           jsonb NOT NULL,
  input                jsonb NOT NULL,
  status               text NOT NULL CHECK (status IN ('requested', 'scheduled', 'running', 'paused', 'awaiting_approval',
                                                       'succeeded', 'failed', 'canceled', 'timed_out')),
  output               jsonb,
  error                jsonb,
  parent_execution_id  text REFERENCES executions (id),
  parent_task          text,
  parent_attempt_id    text,
  requested_by         text NOT NULL,
  trace_id             text NOT NULL,
  last_seq             integer NOT NULL DEFAULT 0,
  lease_owner          text,
  lease_expires_at     timestamptz,
  created_at           timestamptz NOT NULL,
  started_at           timestamptz,
  finished_at          timestamptz,
  updated_at           timestamptz NOT NULL
);
CREATE INDEX executions_status_created_at ON executions (status, created_at);
CREATE INDEX executions_workflow_created_at ON executions (workflow, created_at);
CREATE INDEX executions_parent ON executions (parent_execution_id) WHERE parent_execution_id IS NOT NULL;
-- The recovery sweep: active executions whose lease ran out.
CREATE INDEX executions_lease_expires_at ON executions (lease_expires_at)
  WHERE status IN ('requested', 'scheduled', 'running', 'paused', 'awaiting_approval');

-- The interpreter's source of truth: an execution's state is the fold of its events in seq order.
CREATE TABLE execution_events (
  execution_id  text NOT NULL REFERENCES executions (id),
  seq           integer NOT NULL,
  type          text NOT NULL,
  data          jsonb NOT NULL,
  at            timestamptz NOT NULL,
  PRIMARY KEY (execution_id, seq)
);

-- One row per attempt of a task item; attempt_id is the de-duplication key of worker results.
CREATE TABLE task_attempts (
  attempt_id     text PRIMARY KEY,
  execution_id   text NOT NULL REFERENCES executions (id),
  task           text NOT NULL,
  item_index     integer NOT NULL DEFAULT 0,
  attempt        integer NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('action', 'workflow', 'approval')),
  -- runner (actions), workflow ref (sub-workflows) or 'approval'
  target         text NOT NULL,
  status         text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'timed_out', 'canceled')),
  -- rendered input with secret parameters masked
  input          jsonb,
  output         jsonb,
  error          jsonb,
  child_execution_id text,
  finished_by    text,
  dispatched_at  timestamptz NOT NULL,
  finished_at    timestamptz
);
CREATE INDEX task_attempts_execution_task ON task_attempts (execution_id, task, item_index);
