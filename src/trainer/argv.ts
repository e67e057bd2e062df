/**
 * The trainer's argument vector, built from a TrainerSpec. Always an array handed to spawn, never a
 * shell string: dataset names, paths and run names reach the trainer byte for byte.
 */
import type { Config } from '../domain';
import type { ArgRef, TrainerSpec } from './spec';

export interface StageArgs {
  name: string;
  datasetName: string;
  baseModel: string;
  epochs: number;
}

export interface BuildArgvInput {
  spec: TrainerSpec;
  stage: StageArgs;
  config: Config;
  outputDir: string;
  runName: string;
  /** A `checkpoint-N` directory to continue from (only when the spec supports resume). */
  resumeFrom?: string;
}

/**
 * Formats a number the way Python's `repr(float)` does, so the argv reads like the team's command
 * (`4e-05`, `1.0`, `0.06`): shortest round-trip digits, scientific below 1e-4 or from 1e16.
 */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expPart] = x.toExponential().split('e') as [string, string];
  const exp = Number(expPart);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const s = x.toString();
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function formatValue(v: string | number | boolean, asFloat: boolean): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (asFloat || !Number.isInteger(v)) return pythonFloat(v);
    return String(v);
  }
  return v;
}

function refValue(ref: ArgRef, input: BuildArgvInput): string {
  switch (ref) {
    case 'outputDir':
      return input.outputDir;
    case 'runName':
      return input.runName;
    case 'datasetName':
      return input.stage.datasetName;
    case 'baseModel':
      return input.stage.baseModel;
    case 'epochs':
      return formatValue(input.stage.epochs, false);
  }
}

/** Full argv: argv[0] is the program, then the launcher's arguments, then the flags. */
export function buildTrainerArgv(input: BuildArgvInput): string[] {
  const { spec, config } = input;
  const floatParams = new Set(spec.floatParams);
  const forkFlags = new Set(spec.forkFlags);
  const flagOf = (param: string): string => spec.hyperparameterFlags[param] ?? param;
  const argv = [...spec.launcher];
  const placed = new Set<string>();
  const seenFlags = new Set<string>();
  const push = (flag: string, value: string | null) => {
    if (seenFlags.has(flag)) {
      throw new Error(`TrainerSpec: flag --${flag} would be passed twice (fixedArgs and a hyperparameter?)`);
    }
    seenFlags.add(flag);
    argv.push(`--${flag}`);
    if (value !== null) argv.push(value);
  };
  const hyper = (param: string) => {
    placed.add(param);
    const v = config[param];
    if (v === undefined) return;
    if (typeof v === 'number' && !Number.isFinite(v)) {
      throw new Error(`config.${param} is ${v}; the trainer needs a finite number`);
    }
    push(flagOf(param), formatValue(v, floatParams.has(param)));
  };
  for (const arg of spec.fixedArgs) {
    if ('hyperparameter' in arg) {
      if (arg.fork && !forkFlags.has(flagOf(arg.hyperparameter))) {
        placed.add(arg.hyperparameter);
        continue;
      }
      hyper(arg.hyperparameter);
      continue;
    }
    if (arg.fork && !forkFlags.has(arg.flag)) continue;
    if ('ref' in arg) push(arg.flag, refValue(arg.ref, input));
    else push(arg.flag, arg.value === null ? null : formatValue(arg.value, false));
  }
  // Tuned parameters without a position in the template follow, in the config's order.
  for (const param of Object.keys(config)) if (!placed.has(param)) hyper(param);
  if (input.resumeFrom !== undefined) {
    if (!spec.supportsResume) throw new Error('resumeFrom given, but the TrainerSpec does not declare supportsResume');
    push('resume_from_checkpoint', input.resumeFrom);
  }
  return argv;
}

/** The value following `--flag` in an argv, if any (for logging_steps, output_dir, ...). */
export function argValue(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(`--${flag}`);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  return v === undefined || v.startsWith('--') ? undefined : v;
}

/** Quotes one word for bash: bare when it is plainly safe, else single-quoted. For commands shown to people. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command for people to copy: one `--flag value` per line, shell-quoted. */
export function formatCommand(argv: string[]): string {
  const lines: string[] = [];
  let i = 0;
  const head: string[] = [];
  while (i < argv.length && !argv[i]!.startsWith('--')) head.push(shellQuote(argv[i++]!));
  lines.push(head.join(' '));
  while (i < argv.length) {
    const parts = [shellQuote(argv[i++]!)];
    if (i < argv.length && !argv[i]!.startsWith('--')) parts.push(shellQuote(argv[i++]!));
    lines.push(parts.join(' '));
  }
  return lines.join(' \\\n  ');
}
