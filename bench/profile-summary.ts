/**
 * Where the time goes in a V8 CPU profile (from `npm run bench -- --cpu-prof`, written to bench/data/profiles/):
 * self time per function and per source file, top N, idle samples excluded.
 *   npx tsx bench/profile-summary.ts bench/data/profiles/CPU.….cpuprofile [N]
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [path, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfByFunction = new Map<string, number>();
const selfByFile = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const node = byId.get(id);
  // Idle samples are waits (I/O, or the CPU given to other processes): not work.
  if (!node || node.callFrame.functionName === '(idle)') return;
  total += dt;
  const file = node.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|functions)\//, '$1/') || '(native)';
  const fn = `${node.callFrame.functionName || '(anonymous)'}  ${file}:${node.callFrame.lineNumber + 1}`;
  selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + dt);
  selfByFile.set(file, (selfByFile.get(file) ?? 0) + dt);
});

function print(title: string, map: Map<string, number>): void {
  console.log(`\n${title}`);
  for (const [name, us] of [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
}

console.log(`busy samples: ${(total / 1e6).toFixed(2)} s (idle excluded)`);
print('self time by file', selfByFile);
print('self time by function', selfByFunction);
