import { newId, type AliasDefinition, type Bus, type Clock, type Logger } from '@weir/core';
import { authorize, type Accounts } from '@weir/api';
import { ImpactError, REQUEST_SUBJECT, resolveImpact, type PolicyControls, type PolicyRequestMessage } from '@weir/policy';
import type { Inventory } from '@weir/fleet';
import { usageOf, type AliasCatalog } from './alias-matcher.js';
import { acknowledgement } from './chat-replies.js';
import type { ChatOpsRepository } from './chatops-repository.js';
import { ServerCommand } from './server-command.js';
import type { ChatPrincipal, SlackIdentity } from './slack-identity.js';
import { escapeMrkdwn } from './slack-text.js';

/** Where a command came from and how to answer it. */
export interface ChatContext {
  slackUser: string;
  channel: string;
  /** `mention` in a channel, `dm` to the app, `slash` command. */
  via: 'mention' | 'dm' | 'slash';
  /** Posts in the conversation's thread (started for a slash command); resolves with the thread. */
  say(text: string): Promise<{ channel: string; threadTs: string }>;
  /** Shows a message to the asker alone. */
  whisper(text: string): Promise<void>;
}

const NOT_LINKED =
  "I don't know who you are in Weir. Use the same e-mail address in Slack and Weir, or link your account: `/weir link <api key>` (the key stays between you and Weir; create one with `weir keys create`).";

/**
 * What people type to the app, by mention, direct message or slash command: the built-ins (`help`,
 * `link`, `unlink`, `server`, `stop`, `resume`) and every alias of the loaded packs. A run is
 * requested from the policy engine like any other; its thread is recorded before the request is
 * published, so the verdict always finds it.
 */
export class ChatCommands {
  #catalog: AliasCatalog;

  constructor(
    private readonly options: {
      bus: Bus;
      accounts: Accounts;
      policy: PolicyControls;
      identity: SlackIdentity;
      repository: ChatOpsRepository;
      server: ServerCommand;
      inventory: Pick<Inventory, 'getServer' | 'listServers'>;
      channelName: (channel: string) => Promise<string | undefined>;
      command: string;
      clock: Clock;
      log: Logger;
    },
    catalog: AliasCatalog,
  ) {
    this.#catalog = catalog;
  }

  set catalog(catalog: AliasCatalog) {
    this.#catalog = catalog;
  }

  get catalog(): AliasCatalog {
    return this.#catalog;
  }

  async handle(ctx: ChatContext, text: string): Promise<void> {
    const trimmed = text.trim();
    const [first = '', ...restWords] = trimmed.split(/\s+/);
    const rest = trimmed.slice(first.length).trim();
    const word = first.toLowerCase();
    if (word === '' || word === 'help') return this.#help(ctx);
    if (word === 'link') return this.#link(ctx, rest);
    if (word === 'unlink') return this.#unlink(ctx);
    const principal = await this.options.identity.resolve(ctx.slackUser);
    if (!principal) return void (await ctx.whisper(NOT_LINKED));
    if (word === 'server') return void (await ctx.say(restWords.length === 0 ? `Usage: ${ServerCommand.usage}.` : await this.options.server.run(principal, rest)));
    if (word === 'stop') return this.#stop(ctx, principal, rest);
    if (word === 'resume') return this.#resume(ctx, principal, rest);
    const match = this.#catalog.match(trimmed);
    if (match.kind === 'unknown') {
      const near = match.suggestions.map((s) => `• \`${escapeMrkdwn(s)}\``).join('\n');
      return void (await ctx.whisper(`I don't know \`${escapeMrkdwn(trimmed)}\`.${near ? ` Closest:\n${near}` : ''}\nType \`${this.options.command} help\` for what you can run.`));
    }
    if (match.kind === 'usage') {
      return void (await ctx.whisper(`${escapeMrkdwn(match.alias.ref)}: ${match.problem}. Usage:\n${usageOf(match.alias).map((u) => `• \`${escapeMrkdwn(u)}\``).join('\n')}`));
    }
    const refusal = await this.#mayUse(ctx, principal, match.alias);
    if (refusal) return void (await ctx.say(`:no_entry: ${refusal}`));
    if (match.alias.command === 'server_status') {
      return void (await ctx.say(await this.options.server.show(principal, String(match.parameters.host ?? '').toLowerCase())));
    }
    await this.#request(ctx, principal, match.alias, match.parameters, trimmed);
  }

  /** Why `principal` may not use `alias` here (roles, channels), or undefined. */
  async #mayUse(ctx: ChatContext, principal: ChatPrincipal, alias: AliasDefinition): Promise<string | undefined> {
    if (alias.roles.length > 0 && !alias.roles.some((r) => principal.roles.includes(r))) {
      return `${escapeMrkdwn(principal.name)} may not use ${alias.ref}: it needs the role ${alias.roles.join(' or ')} (you have ${principal.roles.join(', ') || 'none'}).`;
    }
    if (alias.channels.length > 0 && ctx.via !== 'dm') {
      const name = await this.options.channelName(ctx.channel);
      const here = alias.channels.some((c) => c === ctx.channel || c.replace(/^#/, '') === name);
      if (!here) return `${alias.ref} may be used only in ${alias.channels.join(', ')}, not in ${name ? `#${escapeMrkdwn(name)}` : 'this channel'}: ask there, or in a direct message to the app.`;
    }
    return undefined;
  }

  async #request(ctx: ChatContext, principal: ChatPrincipal, alias: AliasDefinition, parameters: Record<string, unknown>, text: string): Promise<void> {
    const { policy, inventory, repository, bus, clock } = this.options;
    const workflow = alias.workflow;
    if (!workflow) return void (await ctx.whisper(`${alias.ref} names action ${alias.action ?? '?'}: a pack must wrap it in a workflow to run it from chat.`));
    const resolved = policy.engine.options.workflows.workflow(workflow);
    if (!resolved) return void (await ctx.say(`:warning: ${alias.ref} runs ${workflow}, which no loaded pack defines.`));
    try {
      policy.check(workflow, parameters);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return void (await ctx.whisper(`${escapeMrkdwn(message)}\nUsage:\n${usageOf(alias).map((u) => `• \`${escapeMrkdwn(u)}\``).join('\n')}`));
    }
    // RBAC over the run's pack and the sites of its targets, as the API decides.
    let sites: string[] = [];
    try {
      sites = (await resolveImpact({ workflow: resolved.definition, input: parameters, inventory }))?.sites ?? [];
    } catch (error) {
      if (!(error instanceof ImpactError)) throw error; // the policy engine denies it, with the reason
    }
    const decision = authorize(principal, 'workflows:run', { pack: workflow.split('.')[0], sites });
    if (!decision.allowed) return void (await ctx.say(`:no_entry: Not requested: ${escapeMrkdwn(decision.reason)} (missing permission \`${decision.missing.permission}\`).`));

    const id = newId();
    const templated = this.#ack(alias, parameters);
    const where = await ctx.say(acknowledgement({ alias, templated, workflow, parameters, requestId: id, requester: principal.name }));
    await repository.createThread({ requestId: id, alias: alias.ref, workflow, channel: where.channel, threadTs: where.threadTs, slackUser: ctx.slackUser, requester: principal.name, createdAt: clock.now() });
    const reason = typeof parameters.reason === 'string' ? parameters.reason : `chat: ${text}`;
    const message: PolicyRequestMessage = { id, workflow, parameters, requester: principal.name, reason, source: 'chatops', priority: 0, traceId: newId(), requestedAt: clock.now() };
    await bus.publish(REQUEST_SUBJECT, message, { msgId: `request:${id}` });
    this.options.log.info({ request_id: id, alias: alias.ref, workflow, requester: principal.name, slack_user: ctx.slackUser }, 'run requested from chat');
  }

  #ack(alias: AliasDefinition, parameters: Record<string, unknown>): string | undefined {
    if (!alias.ack.enabled || !alias.ack.format) return undefined;
    try {
      return String(alias.ack.format.evaluate({ input: parameters }));
    } catch {
      return undefined;
    }
  }

  /** The aliases this user may run here, each format with an example of its words. */
  async #help(ctx: ChatContext): Promise<void> {
    const principal = await this.options.identity.resolve(ctx.slackUser);
    const usable = this.#catalog.aliases.filter((alias) => {
      if (!principal) return false;
      if (alias.roles.length > 0 && !alias.roles.some((r) => principal.roles.includes(r))) return false;
      const pack = alias.workflow?.split('.')[0] ?? alias.pack;
      return alias.command !== undefined ? true : authorize(principal, 'workflows:run', { pack, sites: [] }).allowed || principal.grants.some((g) => g.sites !== null);
    });
    const lines = usable.map((alias) => `• ${alias.formats.map((f) => `\`${escapeMrkdwn(f.display)}\``).join(' · ')}: ${escapeMrkdwn(alias.description)}`);
    const who = principal ? `You are *${escapeMrkdwn(principal.name)}* in Weir (${principal.roles.join(', ') || 'no role'}).` : NOT_LINKED;
    const builtins = [
      `\`${this.options.command} server <host>\` · \`${this.options.command} server <host> <state> because <reason>\``,
      `\`${this.options.command} stop because <reason>\` · \`${this.options.command} resume because <reason>\` (emergency stop, admins)`,
      `\`${this.options.command} link <api key>\` · \`${this.options.command} unlink\``,
    ];
    await ctx.whisper(`${who}\n*What you can run*\n${lines.join('\n') || '(no alias you may use)'}\n*Built in*\n${builtins.join('\n')}\nExample: \`@weir ${usable[0]?.formats[0]?.patterns?.[0]?.text ?? 'help'}\``);
  }

  async #link(ctx: ChatContext, token: string): Promise<void> {
    if (ctx.via === 'mention') return void (await ctx.whisper('Link in a direct message or with the slash command, never in a channel: the key would be visible. If you posted one, revoke it.'));
    if (!token) return void (await ctx.whisper(`Usage: \`${this.options.command} link <api key>\`: proves who you are in Weir once; the key is not kept.`));
    const principal = await this.options.accounts.authenticate(token.trim());
    if (!principal) return void (await ctx.whisper('That is not a live Weir API key or session token.'));
    await this.options.repository.link(ctx.slackUser, principal.name, this.options.clock.now());
    await this.options.accounts.options.store.audit.append({ actor: principal.name, action: 'chatops.link', resource: `slack:${ctx.slackUser}`, origin: 'slack', result: 'ok', details: {}, at: this.options.clock.now() });
    await ctx.whisper(`Linked: in Slack you are now *${escapeMrkdwn(principal.name)}* in Weir.`);
  }

  async #unlink(ctx: ChatContext): Promise<void> {
    const removed = await this.options.repository.unlink(ctx.slackUser);
    await ctx.whisper(removed ? 'Unlinked: Weir now knows you by your e-mail address only.' : 'You were not linked.');
  }

  async #stop(ctx: ChatContext, principal: ChatPrincipal, rest: string): Promise<void> {
    const reason = /^because\s+(.+)$/is.exec(rest)?.[1]?.trim();
    if (!reason) return void (await ctx.whisper(`Say why: \`${this.options.command} stop because <reason>\`.`));
    const refusal = mayStop(principal);
    if (refusal) return void (await ctx.say(`:no_entry: ${refusal}`));
    await this.options.policy.stop({ name: principal.name, origin: 'slack' }, reason);
    await ctx.say(`:octagonal_sign: Emergency stop engaged by ${escapeMrkdwn(principal.name)}: ${escapeMrkdwn(reason)}. Nothing new is admitted until \`${this.options.command} resume because …\`.`);
  }

  async #resume(ctx: ChatContext, principal: ChatPrincipal, rest: string): Promise<void> {
    const reason = /^because\s+(.+)$/is.exec(rest)?.[1]?.trim() ?? 'lifted from Slack';
    const refusal = mayStop(principal);
    if (refusal) return void (await ctx.say(`:no_entry: ${refusal}`));
    await this.options.policy.lift({ name: principal.name, origin: 'slack' }, reason);
    await ctx.say(`:large_green_circle: Emergency stop lifted by ${escapeMrkdwn(principal.name)}: ${escapeMrkdwn(reason)}.`);
  }
}

/** The permissions the emergency stop needs in Slack, both unscoped: see {@link mayStop}. */
const SLACK_STOP_PERMISSIONS = ['emergency_stop:write', 'overrides:write'] as const;

/**
 * Why `principal` may not engage or lift the emergency stop from Slack, or undefined. The API
 * asks `emergency_stop:write`, which operators hold; in Slack, where one message halts every
 * admission, the stop is for admins: it also needs `overrides:write`, the power to overrule the
 * policy engine's gates, which only the admin role (or a custom role given it) holds. Both are
 * checked unscoped: the stop is global.
 */
function mayStop(principal: ChatPrincipal): string | undefined {
  for (const permission of SLACK_STOP_PERMISSIONS) {
    const decision = authorize(principal, permission);
    if (!decision.allowed) {
      return `In Slack the emergency stop is for admins (it needs ${SLACK_STOP_PERMISSIONS.map((p) => `\`${p}\``).join(' and ')}): ${escapeMrkdwn(decision.reason)} (missing permission \`${permission}\`).`;
    }
  }
  return undefined;
}
