-- 0006 policy: the policy engine's durable state (DESIGN §6, §10). Read and written by
-- @weir/policy; its Kysely view is `PolicyTables` in packages/policy/src/policy-tables.ts.
--
-- Admission runs under one transaction-scoped advisory lock, so replicas see each other's
-- reservations before they decide: the tables need no extra locking discipline beyond that.

-- Every workflow request the policy engine received, whatever became of it. The execution a
-- request starts takes the request's id.
CREATE TABLE requests (
  id               text PRIMARY KEY,
  workflow         text NOT NULL,
  parameters       jsonb NOT NULL,
  requester        text NOT NULL,
  reason           text NOT NULL,
  -- rule | api | cli | chatops | timer | …: where it came from, for explain and audit.
  source           text NOT NULL,
  priority         integer NOT NULL DEFAULT 0,
  status           text NOT NULL CHECK (status IN ('waiting', 'admitted', 'finished', 'denied', 'expired', 'canceled')),
  -- The impact resolved at intake (targets with site, pool, type), re-read against the inventory at each check.
  impact           jsonb,
  -- The last decision in one line, for listings (`weir queue`).
  summary          text NOT NULL DEFAULT '',
  -- The verdict and holding policies of the last stored decision: a new decision is stored when they
  -- change, not each time a number moves (explain re-evaluates for live numbers).
  decision_key     text NOT NULL DEFAULT '',
  trace_id         text NOT NULL,
  requested_at     timestamptz NOT NULL,
  expires_at       timestamptz,
  admitted_at      timestamptz,
  finished_at      timestamptz,
  -- The execution's final status once it ended (succeeded, failed, canceled, timed_out).
  outcome          text,
  -- When the policy engine handed an admitted request to the workflow engine (recovery re-hands it).
  handed_at        timestamptz,
  -- Gates an admin admitted past: [{by, reason, at, gates: [...]}].
  overrides        jsonb NOT NULL DEFAULT '[]'
);
-- The queue: waiting requests by priority, then age.
CREATE INDEX requests_queue ON requests (priority DESC, requested_at, id) WHERE status = 'waiting';
CREATE INDEX requests_admitted ON requests (admitted_at) WHERE status = 'admitted';
CREATE INDEX requests_workflow_finished ON requests (workflow, finished_at DESC) WHERE status = 'finished';
CREATE INDEX requests_requested_at ON requests (requested_at DESC);

-- One row per evaluation whose outcome differed from the previous one: each gate's verdict and numbers.
CREATE TABLE decisions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id  text NOT NULL REFERENCES requests (id),
  -- request | checkpoint:<task attempt id>
  subject     text NOT NULL,
  at          timestamptz NOT NULL,
  verdict     text NOT NULL CHECK (verdict IN ('admit', 'wait', 'deny')),
  gates       jsonb NOT NULL,
  replica     text NOT NULL
);
CREATE INDEX decisions_request ON decisions (request_id, id);

-- Servers an admitted request holds out of production until its execution ends.
CREATE TABLE reservations (
  request_id   text NOT NULL REFERENCES requests (id),
  host         text COLLATE "C" NOT NULL,
  site         text NOT NULL,
  pool         text NOT NULL,
  type         text NOT NULL,
  reserved_at  timestamptz NOT NULL,
  released_at  timestamptz,
  PRIMARY KEY (request_id, host, reserved_at)
);
CREATE INDEX reservations_held ON reservations (site, host) WHERE released_at IS NULL;

-- Policies declared through the API (packs' policies live in their packs).
CREATE TABLE policies (
  name         text PRIMARY KEY,
  description  text NOT NULL DEFAULT '',
  gate         text NOT NULL,
  enabled      boolean NOT NULL DEFAULT true,
  scope        jsonb NOT NULL,
  settings     jsonb NOT NULL,
  updated_by   text NOT NULL,
  updated_at   timestamptz NOT NULL
);

-- Circuit breakers of failure-rate policies, per policy and key (`*` or a site).
CREATE TABLE breakers (
  policy            text NOT NULL,
  key               text NOT NULL,
  state             text NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
  opened_at         timestamptz,
  reason            text,
  count_from        timestamptz NOT NULL,
  trial_request_id  text,
  updated_at        timestamptz NOT NULL,
  PRIMARY KEY (policy, key)
);

-- The emergency stop: one row; while active nothing is admitted and progressive runs hold.
CREATE TABLE emergency_stop (
  id          boolean PRIMARY KEY DEFAULT true CHECK (id),
  active      boolean NOT NULL,
  reason      text NOT NULL,
  changed_by  text NOT NULL,
  changed_at  timestamptz NOT NULL
);

-- Progressive runs: a batch's `policy.checkpoint` task waiting for the gates to admit it.
CREATE TABLE checkpoints (
  attempt_id    text PRIMARY KEY,
  request_id    text NOT NULL REFERENCES requests (id),
  execution_id  text NOT NULL,
  task          text NOT NULL,
  hosts         jsonb NOT NULL,
  status        text NOT NULL CHECK (status IN ('waiting', 'passed', 'refused')),
  summary       text NOT NULL DEFAULT '',
  decision_key  text NOT NULL DEFAULT '',
  trace_id      text NOT NULL,
  created_at    timestamptz NOT NULL,
  decided_at    timestamptz
);
CREATE INDEX checkpoints_waiting ON checkpoints (created_at) WHERE status = 'waiting';
