// Golden cases read from disk (tests, the parity command).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runGoldenCase, GOLDEN_ABS_TOL, type CaseReport, type Layout } from './golden';
import type { MaeOptions } from '../../src/model';

/** Runs a case folder on disk on the active backend. */
export function runGoldenCaseDir(dir: string, layout: Layout, modelOptions: MaeOptions = {}): Promise<CaseReport> {
  const read = async (rel: string) => {
    const f = path.join(dir, rel);
    return existsSync(f) ? new Uint8Array(readFileSync(f)) : null;
  };
  return runGoldenCase(path.basename(path.resolve(dir)), read, layout, GOLDEN_ABS_TOL, modelOptions);
}
