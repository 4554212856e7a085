-- 0004 fleet: the inventory of sites, pools, server types and servers, and the append-only history
-- of production-state changes (DESIGN §7, §10). Read and written by @weir/fleet's SqlInventory;
-- its Kysely view of these tables is `FleetTables` in packages/fleet/src/fleet-tables.ts.
--
-- Names are restricted by the fleet's inventory rules (lower-case letters, digits, _ and -; hosts
-- also hold dots), so the checks here only guard against writers that skip them.
-- `host` is collated "C": listings, keyset paging (`host > $after`) and `LIKE 'edge-%'` then follow
-- byte order, which is the order the in-memory inventory and JavaScript sort by, and the primary
-- key's btree serves prefix patterns without a second text_pattern_ops index.

CREATE TABLE sites (
  name       text PRIMARY KEY,
  region     text NOT NULL,
  time_zone  text NOT NULL
);

CREATE TABLE server_types (
  name  text PRIMARY KEY
);

-- Pool names repeat across sites (`edge` of ams, `edge` of fra): a pool is (site, name).
CREATE TABLE pools (
  site  text NOT NULL REFERENCES sites (name),
  name  text NOT NULL,
  PRIMARY KEY (site, name)
);

CREATE TABLE servers (
  host              text COLLATE "C" PRIMARY KEY,
  site              text NOT NULL REFERENCES sites (name),
  pool              text NOT NULL,
  type              text NOT NULL REFERENCES server_types (name),
  state             text NOT NULL CHECK (state IN (
                      'provisioning', 'in_production', 'draining', 'out_of_production',
                      'maintenance', 'failed', 'decommissioned')),
  labels            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
  -- Optimistic concurrency: +1 on every write; `expectedVersion` compares against it.
  version           integer NOT NULL CHECK (version > 0),
  state_changed_at  timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  FOREIGN KEY (site, pool) REFERENCES pools (site, name)
);
-- Selections (`site=ams,pool=edge`, `type=edge`, `state=in_production`) list in host order; each
-- index ends in host so the planner can return a selection's page already sorted.
CREATE INDEX servers_site_pool_host ON servers (site, pool, host);
CREATE INDEX servers_type_host ON servers (type, host);
CREATE INDEX servers_state_host ON servers (state, host);
-- `label.rack=r12` is `labels @> '{"rack":"r12"}'`; jsonb_path_ops is the smaller GIN for @>.
CREATE INDEX servers_labels ON servers USING gin (labels jsonb_path_ops);

-- One row per applied production-state change, newest by id. Never updated or deleted.
CREATE TABLE server_state_changes (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  host        text COLLATE "C" NOT NULL REFERENCES servers (host),
  from_state  text NOT NULL,
  to_state    text NOT NULL,
  actor       text NOT NULL,
  role        text NOT NULL,
  reason      text NOT NULL CHECK (reason <> ''),
  forced      boolean NOT NULL,
  -- The server's version after the change.
  version     integer NOT NULL,
  at          timestamptz NOT NULL
);
CREATE INDEX server_state_changes_host_id ON server_state_changes (host, id);

-- Append-only, like audit_log: the history is what an incident review reads.
CREATE FUNCTION weir_refuse_state_change_edit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'server_state_changes is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'state changes are never updated or deleted';
END;
$$;

CREATE TRIGGER server_state_changes_no_update_delete
  BEFORE UPDATE OR DELETE ON server_state_changes
  FOR EACH ROW EXECUTE FUNCTION weir_refuse_state_change_edit();

CREATE TRIGGER server_state_changes_no_truncate
  BEFORE TRUNCATE ON server_state_changes
  FOR EACH STATEMENT EXECUTE FUNCTION weir_refuse_state_change_edit();
