import { didYouMean } from './did-you-mean.js';
import type { LoadedPack } from './loaded-pack.js';
import { PackError } from './pack-errors.js';
import type { PackReference, RefKind } from './pack-item-context.js';
import type { ParameterMap } from './parameters.js';
import { checkTaskCall } from './task-input-check.js';

/** Items known outside the packs being loaded (e.g. the server's registry), by qualified name. */
export interface KnownRefs {
  actions?: Iterable<string>;
  workflows?: Iterable<string>;
  triggerTypes?: Iterable<string>;
}

const WORDS: Record<RefKind, string> = { action: 'action', workflow: 'workflow', trigger_type: 'trigger type' };

/** Every referable item, by kind and qualified name, with the pack that holds it. */
export class RefIndex {
  private readonly items: Record<RefKind, Map<string, string>> = { action: new Map(), workflow: new Map(), trigger_type: new Map() };
  private readonly packs = new Set<string>();
  /** What each action (its parameters) and workflow (its input) takes, by `<kind>:<ref>`. */
  private readonly parameters = new Map<string, ParameterMap>();

  /** Adds a pack's actions, workflows and trigger types. */
  addPack(pack: Pick<LoadedPack, 'name' | 'actions' | 'workflows' | 'triggerTypes'>): this {
    this.packs.add(pack.name);
    for (const [ref, action] of Object.entries(pack.actions)) {
      this.items.action.set(ref, pack.name);
      this.parameters.set(`action:${ref}`, action.parameters);
    }
    for (const [ref, workflow] of Object.entries(pack.workflows)) {
      this.items.workflow.set(ref, pack.name);
      this.parameters.set(`workflow:${ref}`, workflow.input);
    }
    for (const ref of Object.keys(pack.triggerTypes)) this.items.trigger_type.set(ref, pack.name);
    return this;
  }

  /** Adds items of `pack` that exist but could not be built (their own errors are reported already). */
  addBroken(pack: string, items: Iterable<{ kind: RefKind; ref: string }>): this {
    for (const { kind, ref } of items) {
      this.items[kind].set(ref, pack);
      this.parameters.delete(`${kind}:${ref}`);
    }
    return this;
  }

  /** Adds refs known from elsewhere. */
  addKnown(known: KnownRefs): this {
    const add = (kind: RefKind, refs: Iterable<string> | undefined) => {
      for (const ref of refs ?? []) {
        const pack = ref.split('.')[0] ?? ref;
        this.items[kind].set(ref, pack);
        this.packs.add(pack);
      }
    };
    add('action', known.actions);
    add('workflow', known.workflows);
    add('trigger_type', known.triggerTypes);
    return this;
  }

  /** The pack holding `ref` of `kind`, if any. */
  packOf(kind: RefKind, ref: string): string | undefined {
    return this.items[kind].get(ref);
  }

  /** A located PACK_REFERENCE error when `reference` resolves to nothing; undefined when it resolves. */
  check(reference: PackReference): PackError | undefined {
    const { kind, ref } = reference;
    if (this.items[kind].has(ref)) return undefined;
    return new PackError('PACK_REFERENCE', this.explain(kind, ref), { location: reference.location, pack: reference.from });
  }

  /**
   * Every error of `reference`: PACK_REFERENCE when it resolves to nothing; else, for a task's call,
   * PACK_PARAMETER for input that does not fit the callee's parameters (when they are known: items
   * known only by name, or broken, are not checked).
   */
  checkAll(reference: PackReference): PackError[] {
    const missing = this.check(reference);
    if (missing) return [missing];
    const { call } = reference;
    const parameters = this.parameters.get(`${reference.kind}:${reference.ref}`);
    return call && parameters ? checkTaskCall({ ...reference, call }, parameters) : [];
  }

  private explain(kind: RefKind, ref: string): string {
    const word = WORDS[kind];
    const other: RefKind | undefined = kind === 'action' ? 'workflow' : kind === 'workflow' ? 'action' : undefined;
    if (other && this.items[other].has(ref)) return `${ref} is ${withArticle(WORDS[other])}, not ${withArticle(word)}: write ${other}: ${ref}`;
    const pack = ref.split('.')[0] ?? '';
    if (!this.packs.has(pack)) {
      return `unknown ${word} ${JSON.stringify(ref)}: no pack ${JSON.stringify(pack)} is loaded (declare it in dependencies and load the packs together)`;
    }
    // Compare names within the pack: a shared `pack.` prefix would make any two names look alike.
    const local = ref.slice(pack.length + 1);
    const siblings = [...this.items[kind].keys()].filter((r) => r.startsWith(`${pack}.`)).map((r) => r.slice(pack.length + 1));
    const near = didYouMean(local, siblings);
    const guess = near === undefined ? undefined : `${pack}.${near}`;
    return `unknown ${word} ${JSON.stringify(ref)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}`;
  }
}

function withArticle(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}
