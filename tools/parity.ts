// `npm run parity -- <case-dir> [--layout pth|hf] [--backend cpu|wasm|webgpu]`
// Runs a golden case folder through the TypeScript model and prints one JSON line with the
// largest absolute error of each output; exits 1 above tolerance, 2 on bad arguments.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { useBackend, type NodeBackend } from './lib/backend';
import type { Layout } from './lib/golden';
import { runGoldenCaseDir } from './lib/golden-node';


async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { layout: { type: 'string', default: 'pth' }, backend: { type: 'string', default: 'wasm' } },
    allowPositionals: true,
  });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new Error('usage: npm run parity -- <case-dir> [--layout pth|hf] [--backend cpu|wasm|webgpu]');
  if (!existsSync(path.join(dir, 'case.json'))) throw new Error(`${dir} is not a case folder (no case.json)`);
  const layout = values.layout as Layout;
  if (layout !== 'pth' && layout !== 'hf') throw new Error(`--layout must be pth or hf, got ${layout}`);
  const backend = values.backend!;
  let report;
  if (backend === 'webgpu') report = await (await import('./lib/browser-parity')).runWebgpuCase(path.resolve(dir), layout);
  else if (backend === 'cpu' || backend === 'wasm') {
    await useBackend(backend as NodeBackend);
    report = await runGoldenCaseDir(dir, layout);
  } else throw new Error(`--backend must be cpu, wasm or webgpu, got ${backend}`);
  process.stdout.write(JSON.stringify(report) + '\n');
  return report.pass ? 0 : 1;
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`parity: ${(e as Error).message}\n`);
  process.exit(2);
});
