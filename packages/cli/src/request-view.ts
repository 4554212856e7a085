/** A request as the API returns it (the policy engine's record). */
export interface RequestView {
  id: string;
  workflow: string;
  parameters: Record<string, unknown>;
  requester: string;
  reason: string;
  source: string;
  priority: number;
  status: string;
  summary: string;
  impact?: { targets: Array<{ host: string; site: string }>; sites: string[]; outOfProduction: boolean } | null;
  requestedAt: number;
  admittedAt?: number;
  finishedAt?: number;
  outcome?: string;
  overrides?: Array<{ by: string; reason: string; at: number; policies: string[] }>;
}

/** One gate's verdict as stored with a decision. */
export interface GateVerdictView {
  policy: string;
  gate: string;
  verdict: string;
  reason: string;
  numbers?: Record<string, unknown>;
  releasedBy?: string[];
  retryAt?: number;
  heldBy?: string[];
}

export interface ExplanationView {
  request: RequestView;
  decisions: Array<{ id: number; subject: string; at: number; verdict: string; gates: GateVerdictView[] }>;
  current?: { verdict: string; summary: string; gates: GateVerdictView[] };
  holding: GateVerdictView[];
  heldBy: Array<{ requestId: string; workflow: string; admittedAt: number; typicalDurationMs?: number; expectedEndAt?: number }>;
  estimate?: { at: number; basis: string };
  checkpoints: Array<{ attemptId: string; task: string; hosts: string[]; status: string; summary: string }>;
  reserved: string[];
}

/** Statuses after which a request never moves again. */
export const REQUEST_DONE = new Set(['finished', 'denied', 'expired', 'canceled']);

const age = (ms: number): string => (ms < 60_000 ? `${Math.round(ms / 1000)}s` : ms < 3_600_000 ? `${Math.round(ms / 60_000)}m` : `${(ms / 3_600_000).toFixed(1)}h`);

/** `019a…  fleet.reboot  waiting 2m  p0  wait: fleet.site_capacity: …` */
export function requestLine(r: RequestView, now = Date.now()): string {
  return `${r.id}  ${r.workflow}  ${r.status} ${age(now - r.requestedAt)}  p${r.priority}  ${r.summary}`;
}

const MARK: Record<string, string> = { admit: '✓', wait: '…', deny: '✗' };

/** One line per gate: `✗ capacity  fleet.site_capacity  site ams: 4 of 40 …` */
export function gateLine(g: GateVerdictView): string {
  const release = g.verdict === 'wait' && g.releasedBy?.length ? ` (released by: ${g.releasedBy.join(', ').replaceAll('_', ' ')})` : '';
  return `${MARK[g.verdict] ?? '?'} ${g.gate.padEnd(12)} ${g.policy}: ${g.reason}${release}`;
}

/** The whole explanation, as `weir explain` prints it. */
export function explanationText(e: ExplanationView, now = Date.now()): string {
  const r = e.request;
  const lines = [
    `request ${r.id}: ${r.workflow} ${JSON.stringify(r.parameters)}`,
    `  by ${r.requester} (${r.source}), priority ${r.priority}, ${age(now - r.requestedAt)} ago: ${r.reason}`,
    `  status: ${r.status}${r.outcome ? ` (execution ${r.outcome})` : ''}`,
  ];
  if (r.impact) {
    const hosts = r.impact.targets.map((t) => t.host);
    lines.push(`  impact: ${hosts.length} server(s) in ${r.impact.sites.join(', ') || '-'}${r.impact.outOfProduction ? ', out of production while it runs' : ''}: ${hosts.slice(0, 8).join(', ')}${hosts.length > 8 ? ', …' : ''}`);
  }
  for (const o of r.overrides ?? []) lines.push(`  override by ${o.by}: ${o.reason} (${o.policies.length ? o.policies.join(', ') : 'every policy gate'})`);
  const latest = e.decisions[0];
  if (e.current) {
    lines.push('', `the gates now: ${e.current.verdict}`);
    for (const g of e.current.gates) lines.push(`  ${gateLine(g)}`);
    if (latest) lines.push(`  (last stored decision ${new Date(latest.at).toISOString()}: ${latest.verdict}; ${e.decisions.length} decision(s) in all)`);
  } else if (latest) {
    lines.push('', `latest decision (${latest.subject}, ${new Date(latest.at).toISOString()}): ${latest.verdict}`);
    for (const g of latest.gates) lines.push(`  ${gateLine(g)}`);
  } else {
    lines.push('', 'no decision yet');
  }
  if (e.heldBy.length > 0) {
    lines.push('', 'held by:');
    for (const h of e.heldBy) {
      const end = h.expectedEndAt ? `, expected to end ${new Date(h.expectedEndAt).toISOString()}` : '';
      lines.push(`  ${h.requestId} ${h.workflow}, admitted ${age(now - h.admittedAt)} ago${end}`);
    }
  }
  if (e.estimate) lines.push('', `may run at about ${new Date(e.estimate.at).toISOString()}: ${e.estimate.basis}`);
  else if (r.status === 'waiting' && e.heldBy.length > 0 && e.heldBy.every((h) => h.expectedEndAt === undefined)) {
    lines.push('', 'no estimate yet: no run of the workflows holding it has finished here, so their typical run time is unknown');
  } else if (r.status === 'waiting') lines.push('', 'no estimate: a holding gate has no known end (a metric, a blacklist, the emergency stop)');
  const waiting = e.checkpoints.filter((c) => c.status === 'waiting');
  if (e.checkpoints.length > 0) {
    lines.push('', `batches: ${e.checkpoints.filter((c) => c.status === 'passed').length} passed, ${waiting.length} waiting`);
    for (const c of waiting) lines.push(`  held: ${c.task} (${c.hosts.length} hosts): ${c.summary}`);
  }
  if (e.reserved.length > 0) lines.push('', `holds out of production: ${e.reserved.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
