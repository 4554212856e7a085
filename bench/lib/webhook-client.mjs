// A webhook load generator in a process of its own (as real senders are): POSTs the bodies it is
// given to `<url>/webhooks/<hook>` over keep-alive connections, `concurrency` requests in flight,
// and prints one JSON line: { sent, accepted, failed, ms, cpu_ms, latencies_ms: [...] }.
// Input on stdin: { url, concurrency, requests: [[hook, body], …] } (bodies as JSON text).
import http from 'node:http';

const input = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => (text += chunk));
  process.stdin.on('end', () => resolve(text));
}));

const { url, concurrency, requests } = input;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function post(hook, body) {
  return new Promise((resolve) => {
    const req = http.request(
      { host: target.hostname, port: target.port, method: 'POST', path: `/webhooks/${hook}`, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const latencies = new Array(requests.length);
let next = 0;
let accepted = 0;
let failed = 0;
const c0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < requests.length) {
      const i = next++;
      const [hook, body] = requests[i];
      const start = performance.now();
      const status = await post(hook, body);
      latencies[i] = performance.now() - start;
      if (status === 202) accepted++;
      else failed++;
    }
  }),
);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0);
agent.destroy();
process.stdout.write(`${JSON.stringify({ sent: requests.length, accepted, failed, ms, cpu_ms: (cpu.user + cpu.system) / 1000, latencies_ms: latencies })}\n`);
