-- Output lines of task attempts (shell stdout/stderr), as the workers streamed them, so a task's
-- log stays viewable after the run. (attempt_id, seq) is the line's identity: a redelivered event
-- is stored once.
create table task_logs (
  attempt_id   text not null,
  seq          integer not null,
  execution_id text not null,
  task         text not null,
  stream       text not null check (stream in ('stdout', 'stderr')),
  text         text not null,
  at           timestamptz not null,
  primary key (attempt_id, seq)
);

create index task_logs_execution on task_logs (execution_id, task, at);
