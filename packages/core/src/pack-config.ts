import { join } from 'node:path';
import { didYouMean } from './did-you-mean.js';
import type { LoadedPack } from './loaded-pack.js';
import { PackError } from './pack-errors.js';
import { compileParameters } from './parameters.js';

/**
 * The configuration a deployment gives its packs, by pack name: `{fleet: {endpoint: 'http://…'}}`.
 * Expressions of a pack's actions and workflows read their pack's values as `pack.config.<key>`.
 */
export type PackConfigValues = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/**
 * Sets `pack.config`: the config schema's defaults, overridden by `values`. With `values` (a process
 * that runs the pack) the result must fit the schema: an undeclared key, a value of the wrong type
 * or a required key with neither value nor default is a `PACK_CONFIG` error, and `pack.config` keeps
 * only the defaults. Without (`weir pack lint`), only the defaults are applied: values are a
 * deployment's business.
 */
export function applyPackConfig(pack: LoadedPack, values: Readonly<Record<string, unknown>> | undefined): PackError[] {
  const validator = compileParameters(pack.configSchema);
  const defaults = validator.apply({}).value;
  pack.config = defaults;
  if (values === undefined) return [];
  const location = { file: join(pack.dir, 'pack.yaml'), path: 'config_schema' };
  const fail = (message: string) => new PackError('PACK_CONFIG', `configuration of pack ${pack.name}: ${message}`, { location, pack: pack.name });
  const declared = Object.keys(pack.configSchema);
  const unknown = Object.keys(values).filter((key) => !(key in pack.configSchema));
  if (unknown.length > 0) {
    return unknown.map((key) => {
      const near = didYouMean(key, declared);
      const hint = near === undefined ? '' : ` (did you mean ${near}?)`;
      return fail(`${key} is not in its config schema${hint}; ${declared.length === 0 ? 'it takes no configuration' : `keys: ${declared.join(', ')}`}`);
    });
  }
  const { value, errors } = validator.apply({ ...values });
  if (errors.length > 0) return errors.map((error) => fail(error));
  pack.config = value;
  return [];
}
