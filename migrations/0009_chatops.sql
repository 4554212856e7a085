-- 0009 chatops: what the Slack app must remember across restarts (DESIGN §9; docs/chatops.md).
-- Read and written by @weir/chatops; its Kysely view is `ChatOpsTables` in
-- packages/chatops/src/chatops-tables.ts.

-- A Slack user linked to a Weir user with `/weir link` (the e-mail match needs no row).
CREATE TABLE chatops_links (
  slack_user   text PRIMARY KEY,
  user_name    text NOT NULL,
  linked_at    timestamptz NOT NULL
);

-- Slack deliveries already handled (event_id): Slack's retries (X-Slack-Retry-Num) and duplicate
-- deliveries start nothing twice. Pruned after a day; Slack retries within minutes.
CREATE TABLE chatops_slack_events (
  event_id     text PRIMARY KEY,
  received_at  timestamptz NOT NULL
);
CREATE INDEX chatops_slack_events_received ON chatops_slack_events (received_at);

-- One conversation thread per run requested from chat: the request's id is the execution's.
-- `verdict` is the last verdict posted (waiting, admitted, denied), `posted` the thread's other
-- messages already posted, so a redelivered event never posts twice and a missed one catches up.
CREATE TABLE chatops_threads (
  request_id    text PRIMARY KEY,
  alias         text NOT NULL,
  workflow      text NOT NULL,
  channel       text NOT NULL,
  thread_ts     text NOT NULL,
  slack_user    text NOT NULL,
  requester     text NOT NULL,
  verdict       text,
  waited        boolean NOT NULL DEFAULT false,
  progress_ts   text,
  progress      jsonb NOT NULL DEFAULT '[]',
  result_ts     text,
  created_at    timestamptz NOT NULL
);

-- Approval messages with buttons (one per channel it went to): edited when answered or expired.
CREATE TABLE chatops_approvals (
  attempt_id    text NOT NULL,
  execution_id  text NOT NULL,
  task          text NOT NULL,
  channel       text NOT NULL,
  message_ts    text NOT NULL,
  status        text NOT NULL DEFAULT 'pending',
  answered_by   text,
  expires_at    timestamptz,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (attempt_id, channel)
);
CREATE INDEX chatops_approvals_execution ON chatops_approvals (execution_id, status);

-- Notifications already sent (a waiting request announced once, a breaker opening once).
CREATE TABLE chatops_notices (
  key          text PRIMARY KEY,
  sent_at      timestamptz NOT NULL
);
