// Runs every figure's script in turn, each in its own process so one's heap and timers never
// colour another's figures. `npm run bench` builds and installs the peers first.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const scripts = readdirSync(HERE)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
let failed = 0;
for (const script of scripts) {
  console.log(`\n# ${script}`);
  const { status } = spawnSync(process.execPath, [`${HERE}${script}`], { stdio: 'inherit' });
  if (status !== 0) {
    failed++;
    console.log(`# ${script} failed with exit code ${status}`);
  }
}
console.log(`\n${scripts.length - failed} benchmarks ran, ${failed} failed; figures in bench/results/*.json`);
process.exit(failed ? 1 : 0);
