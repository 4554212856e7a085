-- 0007 api: users, credentials, roles and role bindings, login throttling (DESIGN §9, §10;
-- docs/security.md). Read and written by @weir/api; its Kysely view is `ApiTables` in
-- packages/api/src/api-tables.ts. No secret is stored in clear: passwords as scrypt hashes,
-- API key secrets and session tokens as SHA-256 digests.

-- People and service accounts. A user without a password logs in with API keys only.
CREATE TABLE users (
  id                   text PRIMARY KEY,
  name                 text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  email                text,
  display_name         text NOT NULL DEFAULT '',
  disabled             boolean NOT NULL DEFAULT false,
  -- `$scrypt$ln=15,r=8,p=3$<salt>$<key>`: the parameters travel with the hash.
  password_hash        text,
  password_changed_at  timestamptz,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email IS NOT NULL;

-- API keys `weir_<id>_<secret>`: the id is public (it names the key in listings and audit), the
-- secret is 256 random bits kept only as its SHA-256.
CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  user_id       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  secret_hash   text NOT NULL,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz,
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);
-- One live key per name and user; revoked keys keep their name for history.
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (user_id, name) WHERE revoked_at IS NULL;

-- Login sessions: the bearer token is 256 random bits kept only as its SHA-256.
CREATE TABLE sessions (
  id          text PRIMARY KEY,
  token_hash  text NOT NULL UNIQUE,
  user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  origin      text NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Custom roles; the built-in ones (viewer, operator, author, admin) live in code.
CREATE TABLE roles (
  name         text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  description  text NOT NULL DEFAULT '',
  -- ["packs:read", "workflows:*", …]
  permissions  jsonb NOT NULL,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);

-- A user (or one API key) holds a role, optionally only for some packs and/or sites. `role` names
-- a built-in or a custom role; deleting a custom role that is still bound is refused by @weir/api.
CREATE TABLE role_bindings (
  id          text PRIMARY KEY,
  role        text NOT NULL,
  user_id     text REFERENCES users (id) ON DELETE CASCADE,
  api_key_id  text REFERENCES api_keys (id) ON DELETE CASCADE,
  -- null: every pack / every site; else a JSON array of names.
  packs       jsonb,
  sites       jsonb,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL,
  CHECK ((user_id IS NULL) <> (api_key_id IS NULL))
);
CREATE INDEX role_bindings_user ON role_bindings (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX role_bindings_api_key ON role_bindings (api_key_id) WHERE api_key_id IS NOT NULL;
CREATE INDEX role_bindings_role ON role_bindings (role);

-- Failed logins inside the throttling window, per user name tried and per source address.
-- Rows older than the window are deleted as new failures arrive; the audit log keeps history.
CREATE TABLE login_failures (
  id         text PRIMARY KEY,
  user_name  text NOT NULL,
  origin     text NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX login_failures_user_at ON login_failures (user_name, at);
CREATE INDEX login_failures_origin_at ON login_failures (origin, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- The audit query filters by action too (`GET /api/v1/audit?action=…`).
CREATE INDEX audit_log_action_at ON audit_log (action, at);
