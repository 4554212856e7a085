/**
 * @weir/rules: from triggers to workflow requests (DESIGN §2, issue 4). A rule index by trigger
 * type (criteria come compiled from core's pack loader), parameter rendering, dedup and throttle
 * decided atomically in PostgreSQL, enforcement records, and the `RulesEngine` consumer.
 */
export { RulesEngine } from './rules-engine.js';
export type { TriggerProcessed, RulesEngineStats } from './rules-engine.js';
export { compileRulesEngineOptions, noopRulesEngineMetrics } from './rules-engine-options.js';
export type { RulesEngineOptions, CompiledRulesEngineOptions, RulesEngineMetrics } from './rules-engine-options.js';
export { RuleIndex } from './rule-index.js';
export { TypeMatcher } from './type-matcher.js';
export { compileRule } from './compiled-rule.js';
export type { CompiledRule } from './compiled-rule.js';
export { matchTrigger } from './trigger-matcher.js';
export type { TriggerMatch, RuleOutcome, RuleMatched, RuleDisabled, RuleRenderError, CriteriaFailure } from './trigger-matcher.js';
export { triggerScope } from './trigger-scope.js';
export { explainRule } from './explain-rule.js';
export type { RuleExplanation, CriterionExplanation } from './explain-rule.js';
export { decideDedup, throttleBucket, throttleAdmits } from './guard-decisions.js';
export type { DedupWindow, DedupDecision } from './guard-decisions.js';
export { EnforcementRepository } from './enforcement-repository.js';
export type { Enforcement, EnforceInput, EnforceResult, DedupState } from './enforcement-repository.js';
export type { RuleTables, EnforcementOutcome, RuleEnforcementsTable, RuleDedupTable, RuleThrottleTable } from './rule-tables.js';
export { WORKFLOW_REQUEST_SUBJECT, requestMessageId } from './workflow-request.js';
export type { WorkflowRequest } from './workflow-request.js';
export { parseTriggerMessage, parseTriggerMessages } from './trigger-message.js';
export { RuleNotFoundError, EnforcementStoreError, RulesEngineStateError } from './errors.js';
export type { RulesErrorCode } from './errors.js';
