/**
 * The wording of the app's messages, in one place: what a person reads in a run's thread.
 * Values people typed are escaped so they cannot turn into mentions or links.
 */
import { formatDuration, type AliasDefinition } from '@weir/core';
import type { ProgressEntry } from './chatops-tables.js';
import { escapeMrkdwn } from './slack-text.js';

const STATUS_MARK: Record<string, string> = {
  succeeded: ':white_check_mark:',
  failed: ':x:',
  timed_out: ':hourglass:',
  canceled: ':no_entry_sign:',
  running: ':arrows_counterclockwise:',
  awaiting_approval: ':raised_hand:',
};

/** `host=web-1.ams reason=disk errors`. */
export function describeParameters(parameters: Record<string, unknown>): string {
  return Object.entries(parameters)
    .map(([k, v]) => `${k}=${escapeMrkdwn(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join(' ');
}

/** The acknowledgement: the alias's template, or which workflow is requested with what. */
export function acknowledgement(options: { alias: AliasDefinition; templated: string | undefined; workflow: string; parameters: Record<string, unknown>; requestId: string; requester: string }): string {
  const head = options.templated ?? `Requesting *${options.workflow}* with ${describeParameters(options.parameters) || 'no parameters'}.`;
  return `${head}\nRequest \`${options.requestId}\` for ${escapeMrkdwn(options.requester)}; asking the policy engine…`;
}

export function admittedText(summary: string): string {
  return `:large_green_circle: Admitted by the policy engine${summary ? `: ${escapeMrkdwn(stripVerdict(summary))}` : ''}. Starting.`;
}

export function startedAfterWaitText(waitedMs: number): string {
  return `:arrow_forward: Started after waiting ${formatDuration(Math.max(0, waitedMs))}: the gate let it through.`;
}

export function waitingText(options: { reasons: string[]; estimate: { at: number; basis: string } | undefined; now: number }): string {
  const reasons = options.reasons.length > 0 ? options.reasons.map((r) => `• ${escapeMrkdwn(r)}`).join('\n') : '• (no reason recorded)';
  const estimate = options.estimate
    ? `Estimate: may start in about ${formatDuration(Math.max(0, options.estimate.at - options.now))} (${escapeMrkdwn(options.estimate.basis)}).`
    : 'No estimate: it starts when what holds it changes.';
  return `:hourglass_flowing_sand: Waiting in the queue:\n${reasons}\n${estimate} I will post here when it starts.`;
}

export function deniedText(summary: string): string {
  return `:no_entry: Denied by the policy engine: ${escapeMrkdwn(stripVerdict(summary))}`;
}

export function endedUnstartedText(status: string, summary: string): string {
  return `:no_entry_sign: The request ${status === 'expired' ? 'expired while waiting' : `was ${status}`}: ${escapeMrkdwn(stripVerdict(summary))}`;
}

/** The one progress message, edited task by task. */
export function progressText(entries: readonly ProgressEntry[], done: boolean): string {
  const lines = entries.map((e) => `${STATUS_MARK[e.status] ?? ':small_blue_diamond:'} ${escapeMrkdwn(e.task)}${e.status === 'awaiting_approval' ? ' (waiting for an approval)' : ''}`);
  return `*Progress*${done ? '' : ' (running)'}\n${lines.join('\n') || '(no task has finished yet)'}`;
}

/** The final message: status, duration, the alias's summary or the error, the execution id. */
export function resultText(options: { status: string; durationMs: number | undefined; summary: string | undefined; error: { code: string; message: string } | null; executionId: string }): string {
  const mark = STATUS_MARK[options.status] ?? ':grey_question:';
  const took = options.durationMs === undefined ? '' : ` in ${formatDuration(options.durationMs)}`;
  const body = options.status === 'succeeded' ? (options.summary ? `\n${options.summary}` : '') : options.error ? `\n${escapeMrkdwn(options.error.message)} [${options.error.code}]` : '';
  return `${mark} *${options.status}*${took}${body}\nExecution \`${options.executionId}\``;
}

/** `admit: …`, `wait: …` prefixes of stored summaries, dropped in chat (the emoji says it). */
function stripVerdict(summary: string): string {
  return summary.replace(/^(admit|wait|deny):\s*/, '');
}
