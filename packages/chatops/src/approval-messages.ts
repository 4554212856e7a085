import { compileValue, type Clock, type ExecutionId, type Logger, type TimerHandle } from '@weir/core';
import { authorize } from '@weir/api';
import { ApprovalError, type ExecutionRecord, type ExecutionRepository } from '@weir/workflow';
import type { ApprovalAnswerer } from './chatops-options.js';
import type { ChatOpsRepository, RunThread } from './chatops-repository.js';
import type { SlackIdentity } from './slack-identity.js';
import { escapeMrkdwn } from './slack-text.js';
import type { Block, SlackApi } from './slack-api.js';
import type { ApprovalRequested } from './thread-reporter.js';

/** Action ids of the approval buttons and the comment box. */
export const APPROVAL_ACTIONS = { approve: 'weir_approval_approve', reject: 'weir_approval_reject', comment: 'weir_approval_comment' } as const;

/** An approval of a run with no thread is sent by direct message to at most this many people. */
const MAX_DIRECT_APPROVERS = 20;

/** What a button carries: which approval it answers. */
interface ButtonValue {
  e: string;
  t: string;
  a: string;
}

/** A click on an approval button, as Bolt hands it over (the parts used). */
export interface ApprovalClick {
  slackUser: string;
  channel: string;
  decision: 'approve' | 'reject';
  value: string;
  /** The comment box's text, when filled. */
  comment: string | undefined;
}

/** The approval part of a stored workflow definition (written as in YAML). */
interface StoredApproval {
  message?: unknown;
  roles?: string[];
  users?: string[];
}

/**
 * Approval tasks in Slack: Block Kit buttons (Approve / Reject, with an optional comment) in the
 * run's thread, or sent to each user who may answer; answers counted only from those the approval
 * and RBAC allow (others get an ephemeral refusal); every copy edited when it is answered or expires.
 */
export class ApprovalMessages {
  readonly #timers = new Set<TimerHandle>();

  constructor(
    private readonly options: {
      repository: ChatOpsRepository;
      slack: SlackApi;
      identity: SlackIdentity;
      executions: ExecutionRepository;
      approvals: ApprovalAnswerer;
      defaultChannel: string | undefined;
      clock: Clock;
      log: Logger;
    },
  ) {}

  /** Posts the buttons where the approval can be answered; arms a check for its expiry. */
  async post(event: ApprovalRequested, thread: RunThread | undefined): Promise<void> {
    const { repository, slack, executions, clock } = this.options;
    if ((await repository.approvals(event.attemptId)).length > 0) return;
    const record = await executions.get(event.executionId as ExecutionId);
    if (!record) return;
    const approval = storedApproval(record, event.task);
    const question = this.#question(record, event.task, approval);
    const who = whoMayAnswer(approval);
    const targets: Array<{ channel: string; threadTs?: string }> = [];
    if (thread) targets.push({ channel: thread.channel, threadTs: thread.threadTs });
    else {
      // A direct message to each person who may answer (posting to a user id lands in their DM with the app).
      for (const slackUser of await this.#approversInSlack(approval, record.pack.name)) targets.push({ channel: slackUser });
      if (this.options.defaultChannel) targets.push({ channel: this.options.defaultChannel });
    }
    if (targets.length === 0) {
      this.options.log.warn({ execution_id: event.executionId, task: event.task }, 'approval has nowhere to go in Slack: no thread, no approver found in Slack, no default channel');
      return;
    }
    const value: ButtonValue = { e: event.executionId, t: event.task, a: event.attemptId };
    const blocks = approvalBlocks({ question, who, expiresAt: event.expiresAt, value: JSON.stringify(value) });
    for (const target of targets) {
      const posted = await slack.post({ channel: target.channel, threadTs: target.threadTs, text: `Approval needed: ${question}`, blocks });
      await repository.saveApproval({ attemptId: event.attemptId, executionId: event.executionId, task: event.task, channel: posted.channel, messageTs: posted.ts, expiresAt: event.expiresAt }, clock.now());
    }
    if (event.expiresAt !== null) {
      // Lost at a restart: any later event of the run (or its end) closes an expired approval too.
      const timer = clock.setTimeout(() => {
        this.#timers.delete(timer);
        this.sync(event.executionId).catch((error: unknown) => this.options.log.warn({ error: String(error) }, 'approval expiry check failed'));
      }, Math.max(0, event.expiresAt - clock.now()) + 1000);
      this.#timers.add(timer);
    }
  }

  /** Drops the expiry checks still armed. */
  stop(): void {
    for (const timer of this.#timers) this.options.clock.clearTimeout(timer);
    this.#timers.clear();
  }

  /** Answers an approval from a button click; a refusal goes to the clicker alone. */
  async answer(click: ApprovalClick): Promise<void> {
    const { identity, slack, executions, approvals, repository } = this.options;
    const refuse = (text: string) => slack.ephemeral({ channel: click.channel, user: click.slackUser, text });
    let value: ButtonValue;
    try {
      value = JSON.parse(click.value) as ButtonValue;
    } catch {
      await refuse('This button is not one of Weir\'s approvals.');
      return;
    }
    const principal = await identity.resolve(click.slackUser);
    if (!principal) {
      await refuse('I do not know who you are in Weir, so your answer was not counted. Link your account with `/weir link <api key>` (or use the same e-mail in Slack and Weir).');
      return;
    }
    const record = await executions.get(value.e as ExecutionId);
    if (!record) {
      await refuse(`Execution ${value.e} no longer exists.`);
      return;
    }
    const decision = authorize(principal, 'approvals:run', { pack: record.pack.name });
    if (!decision.allowed) {
      await refuse(`Your answer was not counted: ${decision.reason}.`);
      return;
    }
    const comment = click.comment?.trim() || undefined;
    try {
      await approvals.answerApproval(value.e as ExecutionId, value.t, { user: principal.name, roles: principal.roles, decision: click.decision });
    } catch (error) {
      if (error instanceof ApprovalError && error.code === 'APPROVAL_REFUSED') {
        await refuse(`Your answer was not counted: ${error.message}.`);
        return;
      }
      if (error instanceof ApprovalError && error.code === 'APPROVAL_NOT_PENDING') {
        await refuse('This approval is no longer waiting (answered, expired or its run ended).');
        await this.sync(value.e);
        return;
      }
      throw error;
    }
    const status = click.decision === 'approve' ? 'approved' : 'rejected';
    if (await repository.closeApproval(value.a, status, principal.name)) {
      await this.#edit(value.a, closedText(status, principal.name, comment));
    }
  }

  /** Closes the messages of approvals of `executionId` that are no longer waiting (answered elsewhere, expired, run ended). */
  async sync(executionId: string): Promise<void> {
    const { repository, executions } = this.options;
    for (const message of await repository.pendingApprovals(executionId)) {
      const attempt = await executions.attempt(message.attemptId);
      if (!attempt || attempt.status === 'running') continue;
      const status = attempt.status === 'succeeded' ? 'approved' : attempt.status === 'timed_out' ? 'expired' : attempt.status === 'canceled' ? 'canceled' : 'rejected';
      if (await repository.closeApproval(message.attemptId, status, attempt.finishedBy ?? null)) {
        await this.#edit(message.attemptId, closedText(status, attempt.finishedBy ?? undefined, undefined));
      }
    }
  }

  async #edit(attemptId: string, text: string): Promise<void> {
    for (const message of await this.options.repository.approvals(attemptId)) {
      await this.options.slack.update({ channel: message.channel, ts: message.messageTs, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
    }
  }

  /**
   * The Slack users of the people who may answer an approval of a run with no thread: the users it
   * names and the holders of the roles it names, those RBAC lets answer (`approvals:run` on the
   * pack), at most {@link MAX_DIRECT_APPROVERS}. None when it names nobody (anyone may answer:
   * that is the default channel's job).
   */
  async #approversInSlack(approval: StoredApproval, pack: string): Promise<string[]> {
    const { identity, log } = this.options;
    const names = new Set([...(approval.users ?? []), ...(await identity.usersWithRoles(approval.roles ?? []))]);
    const slackUsers = new Set<string>();
    let approvers = 0;
    for (const name of [...names].sort()) {
      const principal = await identity.principalOf(name);
      if (!principal || !authorize(principal, 'approvals:run', { pack }).allowed) continue;
      if (++approvers > MAX_DIRECT_APPROVERS) {
        log.warn({ approvers: names.size, limit: MAX_DIRECT_APPROVERS }, 'approval names more people than are sent direct messages');
        break;
      }
      for (const slackUser of await identity.slackUsersOf(name)) slackUsers.add(slackUser);
    }
    return [...slackUsers];
  }

  #question(record: ExecutionRecord, task: string, approval: StoredApproval): string {
    const fallback = `${record.workflow}: approve task ${task}?`;
    if (typeof approval.message !== 'string') return fallback;
    try {
      const { value, errors } = compileValue(approval.message);
      return errors.length > 0 ? approval.message : String(value.evaluate({ input: record.input }));
    } catch {
      return approval.message;
    }
  }
}

function storedApproval(record: ExecutionRecord, task: string): StoredApproval {
  const definition = record.definition as { tasks?: Record<string, { approval?: StoredApproval }> } | undefined;
  return definition?.tasks?.[task]?.approval ?? {};
}

function whoMayAnswer(approval: StoredApproval): string {
  const parts = [...(approval.users ?? []).map((u) => `user ${u}`), ...(approval.roles ?? []).map((r) => `role ${r}`)];
  return parts.length === 0 ? 'anyone allowed to answer approvals' : parts.join(', ');
}

function closedText(status: string, by: string | undefined, comment: string | undefined): string {
  const marks: Record<string, string> = { approved: ':white_check_mark: Approved', rejected: ':x: Rejected', expired: ':hourglass: Expired: nobody answered in time', canceled: ':no_entry_sign: Canceled: the run ended' };
  const who = by && (status === 'approved' || status === 'rejected') ? ` by ${escapeMrkdwn(by)}` : '';
  return `${marks[status] ?? status}${who}${comment ? `: “${escapeMrkdwn(comment)}”` : ''}`;
}

function approvalBlocks(options: { question: string; who: string; expiresAt: number | null; value: string }): Block[] {
  const expiry = options.expiresAt === null ? '' : ` · expires <!date^${Math.floor(options.expiresAt / 1000)}^{date_short_pretty} {time}|${new Date(options.expiresAt).toISOString()}>`;
  return [
    { type: 'section', text: { type: 'mrkdwn', text: `:raised_hand: *Approval needed*\n${escapeMrkdwn(options.question)}` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Who may answer: ${escapeMrkdwn(options.who)}${expiry}` }] },
    {
      type: 'input',
      block_id: 'weir_approval_comment',
      optional: true,
      label: { type: 'plain_text', text: 'Comment (optional)' },
      element: { type: 'plain_text_input', action_id: APPROVAL_ACTIONS.comment },
    },
    {
      type: 'actions',
      elements: [
        { type: 'button', action_id: APPROVAL_ACTIONS.approve, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: options.value },
        { type: 'button', action_id: APPROVAL_ACTIONS.reject, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value: options.value },
      ],
    },
  ];
}
