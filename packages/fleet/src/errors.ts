/**
 * The fleet package's errors. Each has a stable `code`; the family (from core) tells the caller
 * whether to fix its input (user) or re-read and retry (operational).
 */
import { formatLocation, OperationalError, UserError, type SourceLocation, type WeirErrorOptions } from '@weir/core';
import type { ProductionState } from './production-state.js';

/** A production-state change the state machine refuses; lists what the server may do instead. */
export class StateTransitionError extends UserError {
  override name = 'StateTransitionError';
  readonly host: string;
  readonly from: ProductionState;
  readonly to: ProductionState;
  /** Target states the machine allows from `from` for this actor, in lifecycle order. */
  readonly allowed: readonly ProductionState[];

  constructor(
    details: { host: string; from: ProductionState; to: ProductionState; allowed: readonly ProductionState[]; hint?: string },
    options: WeirErrorOptions = {},
  ) {
    const allowed = details.allowed.length > 0 ? details.allowed.join(', ') : `none (${details.from} is final)`;
    const hint = details.hint ? ` (${details.hint})` : '';
    super(
      'STATE_TRANSITION_INVALID',
      `${details.host} cannot go from ${details.from} to ${details.to}; allowed: ${allowed}${hint}`,
      options,
    );
    this.host = details.host;
    this.from = details.from;
    this.to = details.to;
    this.allowed = details.allowed;
  }
}

/** A state change without a reason: every change is audited, and the audit log needs the why. */
export class StateReasonRequiredError extends UserError {
  override name = 'StateReasonRequiredError';
  readonly host: string;
  constructor(host: string, options: WeirErrorOptions = {}) {
    super('STATE_REASON_REQUIRED', `a reason is required to change the state of ${host} (e.g. --reason "swap PSU")`, options);
    this.host = host;
  }
}

/** A selection string (`site=ams,state=in_production`) that does not parse; `location.column` points at it. */
export class SelectionError extends UserError {
  override name = 'SelectionError';
  readonly selection: string;
  constructor(selection: string, message: string, options: WeirErrorOptions = {}) {
    super('FLEET_SELECTION_INVALID', message, options);
    this.selection = selection;
  }
}

/** One problem found in an inventory file, located by file and line (or YAML/JSON path). */
export interface InventoryIssue {
  location: SourceLocation;
  /** The field at fault when one is: a CSV column (`state`) or a document path (`servers[3].state`). */
  field?: string | undefined;
  message: string;
}

/** Renders an issue the way an operator reads it: `servers.csv:14: state "prod" is not a production state`. */
export function formatInventoryIssue(issue: InventoryIssue): string {
  const where = formatLocation(issue.location);
  return where ? `${where}: ${issue.message}` : issue.message;
}

/**
 * An inventory file (YAML, JSON, CSV) that cannot be imported. Carries every issue found, so an
 * operator fixes a 20,000-row file in one pass instead of one error per run; `location` and the
 * message are the first issue's.
 */
export class InventoryFileError extends UserError {
  override name = 'InventoryFileError';
  readonly issues: readonly InventoryIssue[];
  constructor(issues: readonly InventoryIssue[], options: WeirErrorOptions = {}) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    super('FLEET_FILE_INVALID', `${first ? first.message : 'invalid inventory file'}${more}`, {
      ...options,
      location: first?.location,
    });
    this.issues = issues;
  }

  /** Every issue, one per line, each with its location. */
  describe(): string {
    return this.issues.map(formatInventoryIssue).join('\n');
  }
}

/** Inventory content that breaks a rule of the inventory (a pool of an unknown site, a bad host name). */
export class InventoryInvalidError extends UserError {
  override name = 'InventoryInvalidError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options: WeirErrorOptions = {}) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super('FLEET_INVENTORY_INVALID', `${problems[0] ?? 'invalid inventory'}${more}`, options);
    this.problems = problems;
  }
}

/**
 * An optimistic check failed: the server changed since the caller read it (another operator or
 * workflow won the race). Operational: re-read the server and decide again.
 */
export class InventoryConflictError extends OperationalError {
  override name = 'InventoryConflictError';
  readonly host: string;
  constructor(host: string, detail: string, options: WeirErrorOptions = {}) {
    super('FLEET_CONFLICT', `${host} changed concurrently: ${detail}; re-read it and try again`, options);
    this.host = host;
  }
}

/** Simulator options that cannot be honoured: names the option and why. */
export class SimulatorOptionsError extends UserError {
  override name = 'SimulatorOptionsError';
  readonly option: string;
  constructor(option: string, message: string, options: WeirErrorOptions = {}) {
    super('FLEET_SIMULATOR_OPTIONS_INVALID', `${option}: ${message}`, options);
    this.option = option;
  }
}

/** A request the simulator cannot carry out as asked (a disk slot the server does not have). */
export class SimulatorRequestError extends UserError {
  override name = 'SimulatorRequestError';
  readonly host: string;
  constructor(host: string, message: string, options: WeirErrorOptions = {}) {
    super('FLEET_SIM_REQUEST_INVALID', `${host}: ${message}`, options);
    this.host = host;
  }
}

/** The simulated server is in the middle of something (a reboot): try again when it is done. */
export class SimulatedServerBusyError extends OperationalError {
  override name = 'SimulatedServerBusyError';
  readonly host: string;
  constructor(host: string, doing: string, options: WeirErrorOptions = {}) {
    super('FLEET_SIM_SERVER_BUSY', `${host} is ${doing}; try again when it is done`, options);
    this.host = host;
  }
}

/**
 * A simulated server cannot do what was asked right now: its BMC refused a power cycle
 * (`refuseNextReboot`), or its agent does not answer (rebooting, stuck). The HTTP face answers 503.
 */
export class SimulatedServerUnavailableError extends OperationalError {
  override name = 'SimulatedServerUnavailableError';
  readonly host: string;
  constructor(host: string, reason: string, options: WeirErrorOptions = {}) {
    super('FLEET_SIM_UNAVAILABLE', `${host}: ${reason}`, options);
    this.host = host;
  }
}
