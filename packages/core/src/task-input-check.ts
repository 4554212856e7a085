import { didYouMean } from './did-you-mean.js';
import type { SourceLocation } from './errors.js';
import { PackError } from './pack-errors.js';
import type { PackItemContext, PackReference } from './pack-item-context.js';
import type { ParameterMap } from './parameters.js';
import type { PathSegment } from './source-locator.js';

/**
 * The input a workflow task passes to the action or sub-workflow it calls, located, so it can be
 * checked against the callee's parameters once every pack is known (the callee may be in another).
 */
export interface TaskCall {
  /** The calling task's name. */
  task: string;
  /** The keys of the task's `input` map; undefined when the input is one expression (keys unknown). */
  given: Array<{ name: string; location: SourceLocation }> | undefined;
  /** Where a missing parameter is reported: the `input` key, or the `action`/`workflow` value without one. */
  location: SourceLocation;
}

/** Reads the call a task makes: its `input` keys with their locations. */
export function taskCall(params: { task: string; raw: Record<string, unknown>; kind: 'action' | 'workflow'; path: readonly PathSegment[] }, ctx: PackItemContext): TaskCall {
  const { task, raw, kind, path } = params;
  const input = raw.input;
  const inputPath = [...path, 'input'];
  const location = input === undefined ? ctx.source.locate([...path, kind]) : ctx.source.locateKey(inputPath);
  if (input === undefined || input === null) return { task, given: [], location };
  if (typeof input !== 'object' || Array.isArray(input)) return { task, given: undefined, location };
  const given = Object.keys(input).map((name) => ({ name, location: ctx.source.locateKey([...inputPath, name]) }));
  return { task, given, location };
}

/**
 * `PACK_PARAMETER` errors of a call against the callee's parameters (an action's `parameters`, a
 * workflow's `input`), as the engine would find them at run time: a key the callee does not declare
 * (its input schema allows no others), and a required parameter without default the task omits.
 */
export function checkTaskCall(reference: PackReference & { call: TaskCall }, parameters: ParameterMap): PackError[] {
  const { call, kind, ref } = reference;
  const given = call.given;
  if (given === undefined) return [];
  const word = kind === 'workflow' ? 'input' : 'parameter';
  const callee = `${kind} ${ref}`;
  const declared = Object.keys(parameters);
  const errors: PackError[] = [];
  const fail = (message: string, location: SourceLocation) => errors.push(new PackError('PACK_PARAMETER', message, { location, pack: reference.from }));
  // A misspelt key is one mistake: reported as unknown, with the parameter it probably meant not
  // reported missing as well.
  const meant = new Set<string>();
  for (const { name, location } of given) {
    if (name in parameters) continue;
    const near = didYouMean(name, declared);
    if (near !== undefined) meant.add(near);
    const hint = near === undefined ? '' : ` (did you mean ${near}?)`;
    const list = declared.length === 0 ? `it takes no ${word}s` : `${word}s: ${declared.join(', ')}`;
    fail(`${callee} has no ${word} ${name}${hint}; ${list}`, location);
  }
  const names = new Set(given.map((g) => g.name));
  for (const [name, parameter] of Object.entries(parameters)) {
    if (!parameter.required || parameter.default !== undefined || names.has(name) || meant.has(name)) continue;
    fail(`task ${call.task} does not give ${name}, which ${callee} requires (no default)`, call.location);
  }
  return errors;
}
