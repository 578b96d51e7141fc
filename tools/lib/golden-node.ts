// Golden cases read from disk (tests, the parity command).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runGoldenCase, type CaseReport, type Layout } from './golden';

/** Runs a case folder on disk on the active backend. */
export function runGoldenCaseDir(dir: string, layout: Layout): Promise<CaseReport> {
  const read = async (rel: string) => {
    const f = path.join(dir, rel);
    return existsSync(f) ? new Uint8Array(readFileSync(f)) : null;
  };
  return runGoldenCase(path.basename(path.resolve(dir)), read, layout);
}
