import { compileParameters, type ApprovalDefinition } from '@weir/core';
import { ApprovalError } from './errors.js';

/** An answer to an approval task. */
export interface ApprovalAnswer {
  /** Who answers. */
  user: string;
  /** The roles that person holds (checked against the approval's `roles`). @default [] */
  roles?: string[];
  decision: 'approve' | 'reject';
  /** Must fit the approval's parameters when approving. @default {} */
  answer?: Record<string, unknown>;
}

/**
 * Checks who may answer (`users`, `roles`; anyone when both are empty) and the answer's shape;
 * throws `ApprovalError` (`APPROVAL_REFUSED`, `APPROVAL_ANSWER_INVALID`). Returns the answer with
 * defaults applied.
 */
export function checkApproval(
  approval: ApprovalDefinition,
  answer: ApprovalAnswer,
  where: { executionId: string; task: string },
): Record<string, unknown> {
  const open = approval.users.length === 0 && approval.roles.length === 0;
  const allowed = open || approval.users.includes(answer.user) || (answer.roles ?? []).some((r) => approval.roles.includes(r));
  if (!allowed) {
    throw new ApprovalError('APPROVAL_REFUSED', { ...where, message: `${answer.user} may not answer (users: ${approval.users.join(', ') || '-'}; roles: ${approval.roles.join(', ') || '-'})` });
  }
  if (answer.decision === 'reject') return answer.answer ?? {};
  const { value, errors } = compileParameters(approval.parameters).apply(answer.answer ?? {});
  if (errors.length > 0) throw new ApprovalError('APPROVAL_ANSWER_INVALID', { ...where, message: `answer does not fit: ${errors.join('; ')}` });
  return value;
}
