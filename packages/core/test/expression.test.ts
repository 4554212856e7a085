import { compileCondition, compileExpression, compileValue, ExpressionError, PackError, prepareScope } from '@weir/core';
import { YamlSource } from '../src/yaml-source.js';

/** Compiles a value that must be valid. */
function compiled(value: unknown) {
  const { value: result, errors } = compileValue(value);
  expect(errors.map(String)).toEqual([]);
  return result;
}

describe('expressions and templates', () => {
  it('evaluates a string that is exactly one expression to the expression’s own type', () => {
    const scope = { input: { host: 'web-1', n: 3, ratio: 0.5, up: true, tags: ['a'] } };
    expect(compiled('${{ input.n + 1 }}').evaluate(scope)).toBe(4);
    expect(compiled('${{ input.ratio * 2.0 }}').evaluate(scope)).toBe(1);
    expect(compiled('${{ input.up }}').evaluate(scope)).toBe(true);
    expect(compiled('${{ [input.host, input.n] }}').evaluate(scope)).toEqual(['web-1', 3]);
    expect(compiled('${{ {"host": input.host, "tags": input.tags} }}').evaluate(scope)).toEqual({ host: 'web-1', tags: ['a'] });
    expect(compiled('${{ null }}').evaluate(scope)).toBeNull();
    expect(compiled('  ${{ input.n }}\n').evaluate(scope)).toBe(3);
  });

  it('evaluates text around an expression, or several expressions, to a string', () => {
    const scope = { input: { host: 'web-1', n: 3, none: null, labels: { a: 1 } } };
    expect(compiled('reboot ${{ input.host }} (${{ input.n }} tries)').evaluate(scope)).toBe('reboot web-1 (3 tries)');
    expect(compiled('${{ input.n }}${{ input.n }}').evaluate(scope)).toBe('33');
    expect(compiled('[${{ input.none }}]').evaluate(scope)).toBe('[]');
    expect(compiled('labels=${{ input.labels }}').evaluate(scope)).toBe('labels={"a":1}');
  });

  it('walks maps and lists, leaving values without expressions as they are', () => {
    const value = compiled({ host: '${{ input.host }}', retries: 3, steps: ['drain', 'reboot ${{ input.host }}'] });
    expect(value.dynamic).toBe(true);
    expect(value.evaluate({ input: { host: 'db-2' } })).toEqual({ host: 'db-2', retries: 3, steps: ['drain', 'reboot db-2'] });
    expect(compiled({ a: [1, 'two'] }).dynamic).toBe(false);
  });

  it('finds the end of an expression past braces and strings that contain }}', () => {
    expect(compiled('${{ {"a": {"b": 1}}.a.b }}').evaluate({})).toBe(1);
    expect(compiled('x${{ "}}" + "!" }}').evaluate({})).toBe('x}}!');
  });

  it('serialises as written', () => {
    const value = compiled({ host: '${{ input.host }}', n: 1 });
    expect(JSON.parse(JSON.stringify(value))).toEqual({ host: '${{ input.host }}', n: 1 });
  });

  it('returns ints beyond 2^53 as decimal strings rather than rounding them', () => {
    expect(compiled('${{ 9007199254740993 }}').evaluate({})).toBe('9007199254740993');
  });

  it('evaluates many expressions against one prepared scope', () => {
    const scope = prepareScope({ trigger: { payload: { labels: { severity: 'critical' }, value: 95 } } });
    const critical = compileExpression('trigger.payload.labels.severity == "critical" && trigger.payload.value > 90');
    const warning = compileExpression('trigger.payload.labels.severity == "warning"');
    expect(critical.test(scope)).toBe(true);
    expect(warning.test(scope)).toBe(false);
  });

  it('gives now as a timestamp', () => {
    expect(compiled('${{ now.getFullYear() }}').evaluate({ now: Date.UTC(2026, 0, 1) })).toBe(2026);
  });
});

describe('succeeded() and failed()', () => {
  const when = compileCondition('${{ succeeded() && result.code == 0 }}').value;

  it('answer from the status of the task that just finished', () => {
    expect(when?.test({ taskStatus: 'succeeded', result: { code: 0 } })).toBe(true);
    expect(when?.test({ taskStatus: 'failed', result: { code: 0 } })).toBe(false);
    expect(compileExpression('failed()').test({ taskStatus: 'failed' })).toBe(true);
  });

  it('fail with a clear error where no task has finished', () => {
    expect(() => when?.test({ result: { code: 0 } })).toThrow(/succeeded\(\) is only available where a task has just finished/);
  });
});

describe('expression errors', () => {
  it('locates a syntax error at its column inside a quoted YAML string', () => {
    const yaml = new YamlSource('tasks:\n  drain:\n    input:\n      host: "x ${{ input..host }} y"\n', 'wf.yaml');
    const { errors } = compileValue((yaml.value as { tasks: unknown }).tasks, { locator: yaml, path: ['tasks'] });
    expect(errors).toHaveLength(1);
    const [error] = errors;
    expect(error).toBeInstanceOf(PackError);
    expect(error?.code).toBe('PACK_EXPRESSION');
    expect({ file: error?.file, path: error?.path, line: error?.line, column: error?.column }).toEqual({
      file: 'wf.yaml',
      path: 'tasks.drain.input.host',
      line: 4,
      // `      host: "x ${{ input.` ends at column 25; the second dot (column 26) is the offending token.
      column: 26,
    });
    expect(error?.message).toBe('invalid expression "input..host": Expected IDENTIFIER, got DOT');
  });

  it('collects every broken expression of a value, not the first only', () => {
    const { errors } = compileValue({ a: '${{ 1 + }}', b: ['${{ nope.x }}', 'fine'], c: 'half ${{ open' });
    expect(errors.map((e) => [e.path, e.message])).toEqual([
      ['a', 'invalid expression "1 +": Unexpected token: EOF'],
      ['b[0]', 'invalid expression "nope.x": Unknown variable: nope'],
      ['c', 'unterminated ${{: no matching }}'],
    ]);
  });

  it('rejects impossible operations at compile time', () => {
    expect(() => compileExpression('"a" + 1', { file: 'x.yaml', line: 2, column: 10 })).toThrow(PackError);
  });

  it('moves the column along a fixed location', () => {
    try {
      compileExpression('input.host +', { file: 'x.yaml', line: 2, column: 10 });
      throw new Error('compiled');
    } catch (error) {
      expect(String(error)).toBe('x.yaml:2:22: invalid expression "input.host +": Unexpected token: EOF [PACK_EXPRESSION]');
    }
  });

  it('throws an ExpressionError naming the expression and where it was written when evaluation fails', () => {
    const yaml = new YamlSource('input:\n  host: ${{ input.hostname }}\n', 'wf.yaml');
    const { value } = compileValue(yaml.value, { locator: yaml });
    let caught: unknown;
    try {
      value.evaluate({ input: { host: 'web-1' } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ExpressionError);
    const error = caught as ExpressionError;
    expect(error.expression).toBe('input.hostname');
    expect(error.code).toBe('EXPRESSION_FAILED');
    expect(error.location).toMatchObject({ file: 'wf.yaml', path: 'input.host', line: 2 });
    expect(error.message).toBe('${{ input.hostname }}: No such key: hostname');
  });

  it('rejects a condition that is not a bool', () => {
    expect(() => compileExpression('input.host').test({ input: { host: 'web-1' } })).toThrow('must be true or false, got "web-1"');
  });

  it('rejects a template where a condition is expected', () => {
    const { value, errors } = compileCondition('x ${{ true }}');
    expect(value).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual(['a condition must be a single ${{ … }} expression, not a template']);
  });
});
