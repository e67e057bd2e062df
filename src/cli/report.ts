/**
 * `vibeopt report <dir> --out report.html`: the offline HTML report of a results folder (a
 * pipeline folder, a stage folder, or an old experiments/ folder).
 * Exit codes: 0 written; 1 no trial found (the page is still written); 2 bad input.
 */
import { loadResults } from '../analysis';
import { writeReport } from '../report';
import { processIO, type CommandIO } from './analyze';

export interface ReportCommandOptions {
  /** Results folder: a pipeline folder, a stage folder, or an old experiments/ folder. */
  dir: string;
  /** The HTML file to write. */
  out: string;
}

export async function reportCommand(opts: ReportCommandOptions, io: CommandIO = processIO): Promise<number> {
  const err = (m: string) => io.stderr(`vibeopt report: ${m}\n`);
  if (!opts.out) {
    err('--out <file.html> is required');
    return 2;
  }
  try {
    loadResults(opts.dir); // a missing or unreadable folder is bad input (exit 2), not a write error
  } catch (e) {
    err((e as Error).message);
    return 2;
  }
  let trialCount: number;
  try {
    trialCount = writeReport({ dir: opts.dir, out: opts.out }).trials;
  } catch (e) {
    err(`cannot write ${opts.out}: ${(e as Error).message}`);
    return 2;
  }
  io.stdout(`wrote ${opts.out} (${trialCount} trials)\n`);
  if (trialCount === 0) {
    err(`no trial found under ${opts.dir} (a trial folder holds results.json)`);
    return 1;
  }
  return 0;
}
