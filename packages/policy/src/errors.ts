/**
 * The policy package's errors for policies that cannot be compiled. Each names the policy and the
 * field at fault (`settings.windows[0].cron`), so a pack author or an API caller can fix it at once.
 */
import { UserError, type WeirErrorOptions } from '@weir/core';

/** One problem of a policy: where (`settings.max_percent`) and what. */
export interface PolicyProblem {
  path: string;
  message: string;
}

function describe(problems: readonly PolicyProblem[]): string {
  const first = problems[0];
  const text = first ? `${first.path}: ${first.message}` : 'invalid policy';
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return `${text}${more}`;
}

/**
 * A policy whose gate settings do not fit the gate: schema violations, bad durations, crons or time
 * zones. `path` (and `location.path`) is the first problem's field; `problems` lists them all.
 */
export class PolicySettingsError extends UserError {
  override name = 'PolicySettingsError';
  /** The policy's qualified name, when known (gates compile settings without it). */
  readonly policy: string | undefined;
  readonly path: string;
  readonly problems: readonly PolicyProblem[];

  constructor(details: { problems: readonly PolicyProblem[]; policy?: string | undefined }, options: WeirErrorOptions = {}) {
    const prefix = details.policy ? `policy ${details.policy}: ` : '';
    super('POLICY_SETTINGS_INVALID', `${prefix}${describe(details.problems)}`, {
      ...options,
      location: options.location ?? { path: details.problems[0]?.path },
    });
    this.policy = details.policy;
    this.path = details.problems[0]?.path ?? 'settings';
    this.problems = details.problems;
  }

  /** The same problems, attributed to `policy`. */
  forPolicy(policy: string): PolicySettingsError {
    return new PolicySettingsError({ problems: this.problems, policy }, { cause: this });
  }
}

/** A policy whose name, gate kind or scope is invalid (an API body, mostly: packs are schema-checked). */
export class PolicyInvalidError extends UserError {
  override name = 'PolicyInvalidError';
  readonly policy: string | undefined;
  readonly path: string;
  readonly problems: readonly PolicyProblem[];

  constructor(details: { problems: readonly PolicyProblem[]; policy?: string | undefined }, options: WeirErrorOptions = {}) {
    const prefix = details.policy ? `policy ${details.policy}: ` : '';
    super('POLICY_INVALID', `${prefix}${describe(details.problems)}`, {
      ...options,
      location: options.location ?? { path: details.problems[0]?.path },
    });
    this.policy = details.policy;
    this.path = details.problems[0]?.path ?? '';
    this.problems = details.problems;
  }
}

/** Shorthand used by gates' `compile`: one problem at one settings path. */
export function settingsProblem(path: string, message: string, options: WeirErrorOptions = {}): PolicySettingsError {
  return new PolicySettingsError({ problems: [{ path, message }] }, options);
}
