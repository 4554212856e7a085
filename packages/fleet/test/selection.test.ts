import { formatSelection, parseSelection, SelectionError, selectServers, type Server } from '@weir/fleet';

function server(host: string, fields: Partial<Server> = {}): Server {
  const [, site = 'ams'] = host.split('.');
  return { host, site, pool: 'edge', type: 'edge', state: 'in_production', labels: {}, ...fields };
}

const fleet: Server[] = [
  server('edge-001.ams', { labels: { rack: 'r12' } }),
  server('edge-002.ams', { labels: { rack: 'r13' }, state: 'maintenance' }),
  server('cache-001.ams', { type: 'cache', pool: 'cache', labels: { rack: 'r12' } }),
  server('edge-001.fra', { labels: { rack: 'r12' } }),
  server('web-12.lhr', { type: 'web', pool: 'web' }),
];
const hosts = (selection: string): string[] => selectServers(fleet, selection).map((s) => s.host);

function selectionError(text: string): SelectionError {
  try {
    parseSelection(text);
  } catch (error) {
    if (error instanceof SelectionError) return error;
    throw error;
  }
  throw new Error(`${text} parsed`);
}

describe('selection parsing', () => {
  it('parses every key, alternatives and labels into a typed selector', () => {
    expect(parseSelection('site=ams|fra,type=edge,state=in_production,label.rack=r12,host=edge-*.ams,pool=edge')).toEqual({
      site: ['ams', 'fra'],
      pool: ['edge'],
      type: ['edge'],
      state: ['in_production'],
      host: ['edge-*.ams'],
      labels: { rack: ['r12'] },
    });
  });

  it('tolerates spaces around terms', () => {
    expect(parseSelection(' site = ams | fra , type=edge ')).toEqual({ site: ['ams', 'fra'], type: ['edge'] });
  });

  it('prints a selector canonically, and the text parses back to the same selector', () => {
    const selector = parseSelection('label.rack=r12,state=in_production|draining,site=ams');
    expect(formatSelection(selector)).toBe('site=ams,state=in_production|draining,label.rack=r12');
    expect(parseSelection(formatSelection(selector))).toEqual(selector);
  });

  it('refuses an unknown key, naming it, its column and the known keys', () => {
    const error = selectionError('site=ams,rakc=r12');
    expect(error.code).toBe('FLEET_SELECTION_INVALID');
    expect(error.message).toContain('unknown key "rakc"; known keys: site, pool, type, state, host, label.<name>');
    expect(error.location).toEqual({ column: 10, path: 'rakc' });
  });

  it('refuses a state that is not a production state, pointing at the value', () => {
    const error = selectionError('site=ams,state=in_production|prod');
    expect(error.message).toContain('state "prod" is not a production state');
    expect(error.location?.column).toBe(30);
  });

  it.each([
    ['', 'empty selection'],
    ['site', 'expected key=value, got "site"'],
    ['site=', 'site= needs a value'],
    ['site=ams|', 'site= needs a value'],
    ['site=ams,site=fra', 'site is given twice: use one term with alternatives (site=a|b)'],
    ['label.Rack=r1', 'label name "Rack" is invalid'],
    ['host=a b', 'holds a character a selection cannot carry'],
  ])('refuses %j: %s', (text, message) => {
    expect(selectionError(text).message).toContain(message);
  });
});

describe('selection matching', () => {
  it('ANDs terms and ORs alternatives', () => {
    expect(hosts('site=ams|fra,type=edge,state=in_production')).toEqual(['edge-001.ams', 'edge-001.fra']);
  });

  it('matches labels, and only servers that carry the label', () => {
    expect(hosts('label.rack=r12')).toEqual(['edge-001.ams', 'cache-001.ams', 'edge-001.fra']);
    expect(hosts('label.rack=*')).toHaveLength(4);
  });

  it('matches host globs with * and ?', () => {
    expect(hosts('host=web-*.lhr')).toEqual(['web-12.lhr']);
    expect(hosts('host=edge-00?.ams')).toEqual(['edge-001.ams', 'edge-002.ams']);
    expect(hosts('host=*')).toHaveLength(5);
  });

  it('treats dots in globs literally', () => {
    expect(hosts('host=edge-001xams')).toEqual([]);
  });

  it('does not find inherited properties as labels', () => {
    expect(hosts('label.constructor=*')).toEqual([]);
  });

  it('selects by state', () => {
    expect(hosts('state=maintenance')).toEqual(['edge-002.ams']);
  });
});
