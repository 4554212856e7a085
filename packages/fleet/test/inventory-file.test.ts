import {
  formatInventory,
  formatInventoryIssue,
  generateFleet,
  InventoryFileError,
  parseInventory,
  type InventoryDocument,
  type InventoryFormat,
  type ParseInventoryOptions,
} from '@weir/fleet';

/** Label values a YAML parser would read as something else unless quoted. */
const TRICKY = ['true', 'null', 'no', '1e3', '012', '0x1F', '-', 'a:b', '@home', '+1', '.5', 'x/y', 'ab_c'];

function sample(): InventoryDocument {
  const doc = generateFleet({ sites: 2, serversPerSite: 10, seed: 7 });
  doc.servers.forEach((s, i) => {
    s.labels[`k${i % 3}.io/tricky`] = TRICKY[i % TRICKY.length] ?? 'x';
  });
  const first = doc.servers[0];
  if (first) first.labels = {};
  const second = doc.servers[1];
  if (second) second.state = 'maintenance';
  return doc;
}

function fileError(text: string, options: ParseInventoryOptions): InventoryFileError {
  try {
    parseInventory(text, options);
  } catch (error) {
    if (error instanceof InventoryFileError) return error;
    throw error;
  }
  throw new Error('parsed');
}

describe('inventory files', () => {
  describe.each<InventoryFormat>(['yaml', 'json'])('%s', (format) => {
    it('round-trips a document exactly', () => {
      const doc = sample();
      expect(parseInventory(formatInventory(doc, format), { format })).toEqual(doc);
    });

    it('round-trips its own text byte for byte', () => {
      const text = formatInventory(sample(), format);
      expect(formatInventory(parseInventory(text, { format }), format)).toBe(text);
    });

    it('round-trips an empty inventory', () => {
      const empty: InventoryDocument = { sites: [], pools: [], serverTypes: [], servers: [] };
      expect(parseInventory(formatInventory(empty, format), { format })).toEqual(empty);
    });
  });

  it('round-trips servers through CSV exactly (CSV carries servers only)', () => {
    const doc = sample();
    const text = formatInventory(doc, 'csv');
    expect(parseInventory(text, { format: 'csv' })).toEqual({ sites: [], pools: [], serverTypes: [], servers: doc.servers });
    expect(formatInventory(parseInventory(text, { file: 'servers.csv' }), 'csv')).toBe(text);
  });

  it('writes CSV with the documented columns and k=v;k=v labels', () => {
    const text = formatInventory(
      {
        sites: [],
        pools: [],
        serverTypes: [],
        servers: [{ host: 'web-12.ams', site: 'ams', pool: 'web', type: 'web', state: 'in_production', labels: { rack: 'r12', row: '3' } }],
      },
      'csv',
    );
    expect(text).toBe('host,site,pool,type,state,labels\nweb-12.ams,ams,web,web,in_production,rack=r12;row=3\n');
  });

  it('writes YAML one record per line', () => {
    const text = formatInventory(generateFleet({ sites: 1, serversPerSite: 2 }), 'yaml');
    expect(text).toContain('  - {name: ams, region: eu-west, time_zone: Europe/Amsterdam}\n');
    expect(text).toMatch(/ {2}- \{host: edge-001\.ams, site: ams, pool: edge, type: edge, state: in_production, labels: \{rack: r01, model: [a-z0-9-]+, os: debian-1[12]\}\}\n/);
  });

  it('reads hand-written block YAML', () => {
    const text = [
      'sites:',
      '  - name: ams',
      '    region: eu-west',
      '    time_zone: Europe/Amsterdam',
      'servers:',
      '  - host: web-12.ams',
      '    site: ams',
      '    pool: web',
      '    type: web',
      '    state: draining',
      '    labels:',
      '      rack: r12',
    ].join('\n');
    expect(parseInventory(text)).toEqual({
      sites: [{ name: 'ams', region: 'eu-west', timeZone: 'Europe/Amsterdam' }],
      pools: [],
      serverTypes: [],
      servers: [{ host: 'web-12.ams', site: 'ams', pool: 'web', type: 'web', state: 'draining', labels: { rack: 'r12' } }],
    });
  });

  it('locates a bad state in a CSV file by line', () => {
    const lines = formatInventory(generateFleet({ sites: 1, serversPerSite: 20 }), 'csv').split('\n');
    lines[13] = (lines[13] ?? '').replace('in_production', 'prod');
    const error = fileError(lines.join('\n'), { file: 'servers.csv' });
    expect(error.code).toBe('FLEET_FILE_INVALID');
    expect(error.issues).toHaveLength(1);
    expect(formatInventoryIssue(error.issues[0] ?? { location: {}, message: '' })).toMatch(/^servers\.csv:14: state "prod" is not a production state/);
    expect(error.toString()).toMatch(/^servers\.csv:14: state "prod" is not a production state .* \[FLEET_FILE_INVALID\]$/);
    expect(error.issues[0]?.field).toBe('state');
  });

  it('reports every bad CSV row at once, each at its line', () => {
    const text = [
      'host,site,pool,type,state,labels',
      'Web_1.ams,ams,web,web,in_production,',
      'web-2.ams,ams,web,web,in_production,rack',
      '"web-3',
      'x.ams",ams,web,web,in_production,',
      'web-4.ams,ams,web,web,in_production,rack=r1;rack=r2',
      'web-5.ams,ams,web,web,in_production,rack=r 1',
      'web-6.ams,ams,web',
      'web-7.ams,ams,web,web,in_production,',
      'web-7.ams,ams,web,web,in_production,',
    ].join('\n');
    const error = fileError(text, { file: 'servers.csv' });
    expect(error.describe().split('\n')).toEqual([
      'servers.csv:2: host "Web_1.ams" is not a valid lower-case host name (letters, digits, - and .)',
      'servers.csv:3: labels "rack": "rack" is not name=value (pairs are separated by ;)',
      'servers.csv:4: host "web-3\\nx.ams" is not a valid lower-case host name (letters, digits, - and .)',
      'servers.csv:6: labels "rack=r1;rack=r2": rack is given twice',
      'servers.csv:7: label rack value "r 1" is invalid (1-63 of letters, digits, . _ : / @ + -)',
      'servers.csv:8: expected 6 fields like the header, got 3',
      'servers.csv:10: host web-7.ams is listed twice (first at line 9)',
    ]);
    expect(error.message).toContain('(and 6 more problems)');
  });

  it('refuses a CSV header with unknown or missing columns', () => {
    const error = fileError('host,site,pool,kind,state\n', { file: 'servers.csv' });
    expect(error.describe()).toBe(
      'servers.csv:1: unknown column "kind"; columns are host,site,pool,type,state,labels\n' +
        'servers.csv:1: missing column type; columns are host,site,pool,type,state,labels',
    );
  });

  it('accepts CSV columns in any order, without labels, with \\r\\n line ends', () => {
    const doc = parseInventory('state,host,type,pool,site\r\nin_production,web-1.ams,web,web,ams\r\n', { format: 'csv' });
    expect(doc.servers).toEqual([{ host: 'web-1.ams', site: 'ams', pool: 'web', type: 'web', state: 'in_production', labels: {} }]);
  });

  it('locates YAML problems by line and path', () => {
    const text = [
      'sites:',
      '  - {name: ams, region: eu-west, time_zone: Europe/Amsterdm}',
      'servers:',
      '  - {host: web-1.ams, site: ams, pool: web, type: web, state: in_production}',
      '  - {host: web-2.ams, site: ams, pool: web, type: web, state: prod, labels: {rack: 12}}',
      '  - {host: web-1.ams, site: ams, pool: web, type: web, state: in_production}',
      'racks: []',
    ].join('\n');
    expect(fileError(text, { file: 'fleet.yaml' }).describe().split('\n')).toEqual([
      'fleet.yaml:7 (racks): unknown section "racks"; known sections: sites, pools, server_types, servers',
      'fleet.yaml:2 (sites[0].time_zone): time zone "Europe/Amsterdm" is not an IANA time zone (e.g. Europe/Amsterdam)',
      'fleet.yaml:5 (servers[1].labels.rack): label rack must be a string (quote it: "12")',
      expect.stringMatching(/^fleet\.yaml:5 \(servers\[1\]\.state\): state "prod" is not a production state/),
      'fleet.yaml:6 (servers[2]): host web-1.ams is listed twice (first at servers[0])',
    ]);
  });

  it('locates a missing field at its record and a bad state at its line', () => {
    const text = '{\n  "servers": [\n    {"host": "web-1.ams", "site": "ams", "pool": "web", "type": "web"},\n    {"host": "web-2.ams", "site": "ams", "pool": "web", "type": "web",\n     "state": "prod"}\n  ]\n}\n';
    const lines = fileError(text, { file: 'fleet.json' }).describe().split('\n');
    expect(lines[0]).toBe('fleet.json:3 (servers[0]): state is missing');
    expect(lines[1]).toMatch(/^fleet\.json:5 \(servers\[1\]\.state\): state "prod" is not a production state/);
  });

  it('reports YAML and JSON syntax errors with their line', () => {
    expect(fileError('servers:\n  - {host: a\n  x: [', { format: 'yaml' }).issues[0]?.location.line).toBe(3);
    expect(fileError('{\n  "servers": [\n    1,,\n  ]\n}', { format: 'json' }).message).toContain('not valid JSON');
  });

  it('infers the format from the file name', () => {
    const csv = formatInventory(generateFleet({ sites: 1, serversPerSite: 3 }), 'csv');
    expect(parseInventory(csv, { file: 'export/servers.CSV' }).servers).toHaveLength(3);
  });
});
