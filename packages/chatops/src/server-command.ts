import { WeirError, formatDuration, type Clock } from '@weir/core';
import { authorize } from '@weir/api';
import { isProductionState, PRODUCTION_STATES, type FleetService, type Inventory } from '@weir/fleet';
import type { ExecutionRepository } from '@weir/workflow';
import type { ChatPrincipal } from './slack-identity.js';
import { escapeMrkdwn } from './slack-text.js';

/**
 * `/weir server <host>` (state, site, pool, recent changes and runs) and
 * `/weir server <host> <state> because <reason>`: a production state changed through the fleet's
 * state machine, audited with the Slack user's Weir name, as datacenter technicians need it.
 */
export class ServerCommand {
  constructor(
    private readonly options: {
      fleet: FleetService;
      inventory: Pick<Inventory, 'getServer' | 'listStateChanges'>;
      executions: ExecutionRepository;
      clock: Clock;
    },
  ) {}

  /** The usage line. */
  static readonly usage = '`server <host>` shows a server; `server <host> <state> because <reason>` sets its production state';

  /** Runs `server …` (the words after `server`); returns the answer to post. */
  async run(principal: ChatPrincipal, args: string): Promise<string> {
    const match = /^(\S+)(?:\s+(\S+)(?:\s+because\s+(.+))?)?$/is.exec(args.trim());
    if (!match) return `Usage: ${ServerCommand.usage}.`;
    const [, host = '', state, reason] = match;
    if (state === undefined) return this.show(principal, host.toLowerCase());
    if (!isProductionState(state)) return `${escapeMrkdwn(state)} is not a production state; states are ${PRODUCTION_STATES.join(', ')}.`;
    if (!reason?.trim()) return `Say why: \`server ${escapeMrkdwn(host)} ${state} because <reason>\` (the reason goes to the audit log).`;
    return this.setState(principal, host.toLowerCase(), state, reason.trim());
  }

  async show(principal: ChatPrincipal, host: string): Promise<string> {
    const server = await this.options.inventory.getServer(host);
    if (!server) return `No server ${escapeMrkdwn(host)} in the inventory.`;
    const decision = authorize(principal, 'fleet:read', { site: server.site });
    if (!decision.allowed) return `:no_entry: ${decision.reason}.`;
    const now = this.options.clock.now();
    const changes = await this.options.inventory.listStateChanges({ host, limit: 3 });
    const runs = (await this.options.executions.db
      .selectFrom('executions')
      .select(['id', 'workflow', 'status', 'created_at'])
      .where(({ eb, fn }) => eb(fn('jsonb_extract_path_text', ['input', eb.val('host')]), '=', host))
      .orderBy('created_at', 'desc')
      .limit(5)
      .execute()
      .catch(() => [])) as Array<{ id: string; workflow: string; status: string; created_at: Date }>;
    const lines = [
      `*${escapeMrkdwn(server.host)}*: *${server.state}* for ${formatDuration(Math.max(0, now - server.stateChangedAt))}`,
      `Site ${escapeMrkdwn(server.site)} · pool ${escapeMrkdwn(server.pool)} · type ${escapeMrkdwn(server.type)}`,
      changes.length > 0 ? `Recent changes:\n${changes.map((c) => `• ${c.from} → ${c.to} by ${escapeMrkdwn(c.actor.name)}: ${escapeMrkdwn(c.reason)}`).join('\n')}` : 'No state change recorded.',
      runs.length > 0 ? `Recent runs:\n${runs.map((r) => `• ${r.workflow} ${r.status} \`${r.id}\``).join('\n')}` : 'No recent run.',
    ];
    return lines.join('\n');
  }

  async setState(principal: ChatPrincipal, host: string, state: (typeof PRODUCTION_STATES)[number], reason: string): Promise<string> {
    const server = await this.options.inventory.getServer(host);
    if (!server) return `No server ${escapeMrkdwn(host)} in the inventory.`;
    const decision = authorize(principal, 'servers:write', { site: server.site });
    if (!decision.allowed) return `:no_entry: ${decision.reason}.`;
    try {
      const result = await this.options.fleet.setState(host, state, {
        actor: principal.name,
        role: principal.roles.includes('admin') ? 'admin' : 'operator',
        reason,
        origin: 'slack',
      });
      if (!result.change) return `${escapeMrkdwn(host)} already is ${state}.`;
      return `:white_check_mark: ${escapeMrkdwn(host)}: ${result.change.from} → ${result.change.to} (${escapeMrkdwn(reason)}), recorded in the audit log as ${escapeMrkdwn(principal.name)}.`;
    } catch (error) {
      if (error instanceof WeirError && error.family === 'user') return `:no_entry: ${escapeMrkdwn(error.message)}`;
      throw error;
    }
  }
}
