-- 0003 rules: enforcement records and the persisted state of dedup and throttle (DESIGN §10, issue 4).
-- Owned by @weir/rules (its Kysely view is packages/rules/src/rule-tables.ts).

-- One row per (trigger, rule) whose criteria held: what the rule did with the trigger. Triggers a
-- rule did not match leave no row. The unique pair makes a redelivered trigger a replay, never a
-- second decision.
CREATE TABLE rule_enforcements (
  id            text PRIMARY KEY,
  trigger_id    text NOT NULL,
  trigger_type  text NOT NULL,
  rule          text NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('requested', 'deduplicated', 'throttled', 'disabled', 'render_error')),
  -- requested: the request made; deduplicated: the request it was folded into; otherwise null.
  request_id    text,
  reason        text NOT NULL DEFAULT '',
  -- The request message as published (requested only), so a replay republishes the same bytes.
  request       jsonb,
  trace_id      text NOT NULL,
  at            timestamptz NOT NULL,
  UNIQUE (trigger_id, rule)
);
CREATE INDEX rule_enforcements_rule_at ON rule_enforcements (rule, at);
CREATE INDEX rule_enforcements_request_id ON rule_enforcements (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX rule_enforcements_at ON rule_enforcements (at);

-- Dedup: one live window per (rule, key). A trigger claims the key with an INSERT … ON CONFLICT
-- that takes over the row only once the window has expired, so two replicas never both claim it.
CREATE TABLE rule_dedup (
  rule               text NOT NULL,
  key                text NOT NULL,
  request_id         text NOT NULL,
  window_start       timestamptz NOT NULL,
  expires_at         timestamptz NOT NULL,
  duplicates         integer NOT NULL DEFAULT 0,
  last_duplicate_at  timestamptz,
  PRIMARY KEY (rule, key)
);
CREATE INDEX rule_dedup_expires_at ON rule_dedup (expires_at);

-- Throttle: requests per rule per fixed interval bucket; the increment is conditional on the limit.
CREATE TABLE rule_throttle (
  rule          text NOT NULL,
  bucket_start  timestamptz NOT NULL,
  count         integer NOT NULL,
  PRIMARY KEY (rule, bucket_start)
);
