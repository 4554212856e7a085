import { SCHEMA_KINDS, schemaFor, schemaId } from '@weir/core';
import { validateAgainst } from '../src/schemas.js';

describe('JSON schemas', () => {
  it.each(SCHEMA_KINDS)('%s.json has its $id and compiles in strict mode', (kind) => {
    expect(schemaFor(kind).$id).toBe(schemaId(kind));
    expect(() => validateAgainst(kind, {})).not.toThrow();
  });

  it('rejects unknown fields', () => {
    const errors = validateAgainst('action', { name: 'a', runner: 'noop', colour: 'red' });
    expect(errors.map((e) => [e.keyword, e.params])).toEqual([['additionalProperties', { additionalProperty: 'colour' }]]);
  });

  it('requires a js action to name its entry point', () => {
    const errors = validateAgainst('action', { name: 'a', runner: 'js' });
    expect(errors.map((e) => e.keyword)).toContain('required');
  });

  it('accepts a workflow in the shape of DESIGN §5', () => {
    const workflow = {
      name: 'reboot',
      description: 'Safely reboot one server',
      input: { host: { type: 'string', required: true }, reason: { type: 'string', default: 'unspecified' } },
      impact: { targets: '${{ [input.host] }}', out_of_production: true, max_targets: 1 },
      tasks: {
        drain: { action: 'fleet.set_state', input: { host: '${{ input.host }}', state: 'draining' }, next: [{ when: '${{ succeeded() }}', do: 'reboot' }] },
        reboot: {
          action: 'linux.reboot',
          retry: { count: 2, delay: '30s' },
          timeout: '10m',
          join: 'all',
          next: [{ when: '${{ succeeded() }}', do: 'verify' }, { when: '${{ failed() }}', do: ['mark_failed', 'fail'] }],
        },
        verify: { action: 'linux.check', with: { items: '${{ input.checks }}', concurrency: 2 } },
        mark_failed: { approval: { message: 'Reboot of ${{ input.host }} failed', roles: ['operator'], ttl: '1h' }, join: 2 },
      },
      output: { state: '${{ task.verify.result.state }}' },
    };
    expect(validateAgainst('workflow', workflow)).toEqual([]);
  });
});
