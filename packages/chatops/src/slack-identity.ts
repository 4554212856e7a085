import { sql, type Kysely } from 'kysely';
import { apiDatabase, roleNames, type Accounts, type ApiTables, type Grant } from '@weir/api';
import type { ChatOpsRepository } from './chatops-repository.js';
import type { SlackApi } from './slack-api.js';

/** A Slack user as Weir knows them: the Weir user and what that user may do. */
export interface ChatPrincipal {
  /** The Weir user's name: the requester of runs and the actor of audit entries. */
  name: string;
  userId: string;
  grants: readonly Grant[];
  roles: string[];
  /** How the Slack user was recognised (`name`: looked up by Weir name, as approvers are). */
  via: 'link' | 'email' | 'name';
}

/**
 * Maps a Slack user to a Weir user: a `/weir link` first, else the e-mail of their Slack profile
 * (users.info) against the users' e-mails. Disabled users are nobody. The same RBAC as the API
 * then decides, over the user's role bindings.
 */
export class SlackIdentity {
  readonly #db: Kysely<ApiTables>;

  constructor(
    private readonly accounts: Accounts,
    private readonly repository: ChatOpsRepository,
    private readonly slack: SlackApi,
  ) {
    this.#db = apiDatabase(accounts.options.store.db);
  }

  /** The Weir user behind `slackUser`, or undefined when neither a link nor an e-mail names one. */
  async resolve(slackUser: string): Promise<ChatPrincipal | undefined> {
    const linked = await this.repository.linkedUser(slackUser);
    if (linked !== undefined) {
      const user = await this.accounts.users.get(linked);
      return user && !user.disabled ? this.#principal(user.id, user.name, 'link') : undefined;
    }
    const email = await this.slack.userEmail(slackUser);
    if (!email) return undefined;
    const row = await this.#db
      .selectFrom('users')
      .select(['id', 'name', 'disabled'])
      .where(sql<string>`lower(email)`, '=', email.toLowerCase())
      .executeTakeFirst();
    return row && !row.disabled ? this.#principal(row.id, row.name, 'email') : undefined;
  }

  /** The Weir user called `name` and what they may do; undefined when there is none or they are disabled. */
  async principalOf(name: string): Promise<ChatPrincipal | undefined> {
    const user = await this.accounts.users.get(name);
    return user && !user.disabled ? this.#principal(user.id, user.name, 'name') : undefined;
  }

  /** The names of the users bound (directly) to one of `roles`. */
  async usersWithRoles(roles: readonly string[]): Promise<string[]> {
    const names = new Set<string>();
    for (const role of roles) for (const binding of await this.accounts.roles.bindings({ role })) if (binding.user) names.add(binding.user);
    return [...names].sort();
  }

  /**
   * Where to reach a Weir user in Slack: the Slack users linked to them (`/weir link`), else the
   * Slack user with their e-mail. Empty when neither is known.
   */
  async slackUsersOf(name: string): Promise<string[]> {
    const linked = await this.repository.slackUsersOf(name);
    if (linked.length > 0) return linked;
    const user = await this.accounts.users.get(name);
    if (!user?.email || user.disabled) return [];
    const slackUser = await this.slack.userByEmail(user.email);
    return slackUser ? [slackUser] : [];
  }

  async #principal(userId: string, name: string, via: ChatPrincipal['via']): Promise<ChatPrincipal> {
    const grants = await this.accounts.roles.grantsFor({ userId });
    return { name, userId, grants, roles: roleNames({ grants }), via };
  }
}
