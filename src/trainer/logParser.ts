/**
 * Streaming parser for the trainer's console output (TRAINER.md, "What it prints").
 *
 * - stdout: one Python-dict line per Hugging Face Trainer log call, values plain
 *   (`{'loss': 0.7311, 'epoch': 0.05}`) or quoted in newer transformers (`{'loss': '2.007'}`),
 *   with `nan`/`inf`, numpy wrappers (`np.float64(0.5)`) and tensors tolerated. Parsed by a small
 *   tokenizer, never by eval.
 * - stderr: tqdm bars redrawn with `\r`, log messages, tracebacks. Both streams are split on `\n`
 *   and `\r`; lines that mean nothing to us are kept only in the log tail.
 */
import { StringDecoder } from 'node:string_decoder';

export type PyValue = number | string | boolean | null;
export type PyDict = Record<string, PyValue>;

/** What the activity heartbeats and the CLI shows while a trial runs. */
export interface TrainerProgress {
  step: number | null;
  maxSteps: number | null;
  epoch: number | null;
  loss: number | null;
  samplesPerSecond: number | null;
  /** Newest complete checkpoint directory seen so far. */
  checkpoint: string | null;
}

export interface LossPoint {
  step: number;
  loss: number;
}

// ---------------------------------------------------------------------------------------------
// Python dict literal tokenizer

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i++;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
}

function readQuoted(c: Cursor): string | undefined {
  const q = c.peek();
  if (q !== "'" && q !== '"') return undefined;
  c.i++;
  let out = '';
  while (c.i < c.s.length) {
    const ch = c.s[c.i] as string;
    if (ch === '\\') {
      const nx = c.s[c.i + 1] ?? '';
      out += nx === 'n' ? '\n' : nx === 't' ? '\t' : nx;
      c.i += 2;
      continue;
    }
    if (ch === q) {
      c.i++;
      return out;
    }
    out += ch;
    c.i++;
  }
  return undefined; // unterminated
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const WORD_RE = /^[A-Za-z_][A-Za-z0-9_.]*/;

/** Turns `'2.007'`, `'nan'`, `'-inf'` into numbers; other strings stay strings. */
export function numericString(s: string): number | undefined {
  const t = s.trim().toLowerCase();
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  const m = NUMBER_RE.exec(t);
  if (m && m[0].length === t.length) return Number(t);
  return undefined;
}

/** Skips a balanced expression up to the next top-level `,` or the closing `}`; returns its text. */
function skipExpression(c: Cursor): string {
  const start = c.i;
  let depth = 0;
  while (c.i < c.s.length) {
    const ch = c.peek();
    if (ch === "'" || ch === '"') {
      if (readQuoted(c) === undefined) break;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      if (depth === 0) break;
      depth--;
    } else if (ch === ',' && depth === 0) break;
    c.i++;
  }
  return c.s.slice(start, c.i).trim();
}

function readValue(c: Cursor): PyValue | undefined {
  c.ws();
  const ch = c.peek();
  if (ch === "'" || ch === '"') {
    const s = readQuoted(c);
    if (s === undefined) return undefined;
    return numericString(s) ?? s;
  }
  const rest = c.s.slice(c.i);
  const num = NUMBER_RE.exec(rest);
  if (num) {
    c.i += num[0].length;
    return Number(num[0]);
  }
  const signedWord = /^[+-]?(?:nan|inf|infinity)\b/i.exec(rest);
  if (signedWord) {
    c.i += signedWord[0].length;
    return numericString(signedWord[0]) ?? null;
  }
  const word = WORD_RE.exec(rest);
  if (word) {
    const w = word[0];
    if (w === 'True' || w === 'False' || w === 'None') {
      c.i += w.length;
      return w === 'True' ? true : w === 'False' ? false : null;
    }
    if (rest[w.length] === '(') {
      // A wrapper such as np.float64(0.5) or tensor(0.7, device='cuda:0'): its first argument.
      c.i += w.length + 1;
      const inner = readValue(c);
      let depth = 1;
      while (c.i < c.s.length && depth > 0) {
        const x = c.peek();
        if (x === "'" || x === '"') {
          if (readQuoted(c) === undefined) return undefined;
          continue;
        }
        if (x === '(') depth++;
        else if (x === ')') depth--;
        c.i++;
      }
      if (depth !== 0) return undefined;
      return typeof inner === 'number' || typeof inner === 'string' ? inner : null;
    }
  }
  const raw = skipExpression(c);
  return raw.length > 0 ? raw : undefined;
}

/**
 * Parses one Python dict literal (`{'k': v, ...}`) found in a line, or returns null. Keys must be
 * quoted strings; values are numbers (including nan/inf), strings (numeric ones become numbers),
 * booleans, None; anything else is kept as its source text.
 */
export function parsePythonDict(line: string): PyDict | null {
  const open = line.indexOf('{');
  if (open < 0) return null;
  const c = new Cursor(line);
  c.i = open + 1;
  const out: PyDict = {};
  c.ws();
  if (c.peek() === '}') return null; // an empty dict carries nothing
  for (;;) {
    c.ws();
    const key = readQuoted(c);
    if (key === undefined) return null;
    c.ws();
    if (c.peek() !== ':') return null;
    c.i++;
    const value = readValue(c);
    if (value === undefined) return null;
    out[key] = value;
    c.ws();
    const sep = c.peek();
    c.i++;
    if (sep === '}') return out;
    if (sep !== ',') return null;
    c.ws();
    if (c.peek() === '}') return out; // trailing comma
  }
}

// ---------------------------------------------------------------------------------------------
// tqdm progress bars

export interface ProgressBar {
  /** Text before the bar (`Loading checkpoint shards`, `Map`); empty for the Trainer's own bars. */
  desc: string;
  n: number;
  total: number;
  /** Iterations per second, when tqdm has measured it. */
  rate: number | null;
}

const BAR_RE = /(\d+)\/(\d+)\s*\[[\d:]+<(?:[\d:]+|\?),\s*(?:([\d.]+)\s*(s\/it|it\/s)|\?\s*it\/s)/;

/** Recognises a tqdm bar such as `  12%|█▏   | 70/579 [1:02:11<7:32:10, 53.30s/it]`. */
export function parseProgressBar(line: string): ProgressBar | null {
  const m = BAR_RE.exec(line);
  if (!m) return null;
  const before = line.slice(0, m.index);
  const pct = before.indexOf('%|');
  let desc = pct >= 0 ? before.slice(0, pct).replace(/\d+\s*$/, '') : before;
  desc = desc.replace(/[:\s]+$/, '').trim();
  let rate: number | null = null;
  if (m[3] !== undefined) {
    const v = Number(m[3]);
    if (v > 0) rate = m[4] === 's/it' ? 1 / v : v;
  }
  return { desc, n: Number(m[1]), total: Number(m[2]), rate };
}

// ---------------------------------------------------------------------------------------------
// Failure markers

export const CUDA_OOM_RE = /torch\.(?:cuda\.)?OutOfMemoryError|CUDA out of memory|CUDA error: out of memory/;
export const BAD_FLAG_RE =
  /error: unrecognized arguments|Some specified arguments are not used by the HfArgumentParser|error: argument --|error: the following arguments are required/;
/** torchrun reports a child killed by the kernel's OOM killer this way. */
export const SIGKILL_CHILD_RE = /Signal 9 \(SIGKILL\) received by PID/;

/** Known trainer errors and what to do about them (TRAINER.md, "How it fails"). */
export const KNOWN_ERRORS: ReadonlyArray<{ re: RegExp; hint: string }> = [
  { re: /No valid speaker lines found in script/, hint: 'transcripts must be "Speaker N: ..." lines' },
  { re: /api_key not configured \(no-tty\)/, hint: 'set WANDB_API_KEY on the GPU worker, or WANDB_MODE=offline/disabled' },
  { re: /unrecognized arguments: (.*)/, hint: 'the trainer does not accept this flag; fix the TrainerSpec (fixedArgs/forkFlags)' },
];

// ---------------------------------------------------------------------------------------------
// The accumulating state of one run

export interface TrainerLogStateOptions {
  /** logging_steps of the run: the n-th logged loss is at step n·logging_steps (after a resume, offset). */
  loggingSteps?: number;
  /** The step training starts from (0, or the resumed checkpoint's): fixes the first logged point. */
  startStep?: number;
  /** Samples per optimizer step (batch × accumulation × processes), for samples/s from the bar rate. */
  samplesPerStep?: number;
  /** Lines kept for the failure tail. */
  tailLines?: number;
}

export type StreamName = 'stdout' | 'stderr';

/** Everything learnt from the output so far. Feed it lines; read its fields. */
export class TrainerLogState {
  readonly progress: TrainerProgress = {
    step: null,
    maxSteps: null,
    epoch: null,
    loss: null,
    samplesPerSecond: null,
    checkpoint: null,
  };
  readonly lossCurve: LossPoint[] = [];
  /** The final `{'train_runtime': ...}` dict. */
  finalDict: PyDict | null = null;
  lastLoss: number | null = null;
  lastEvalLoss: number | null = null;
  /** The first logged loss that was NaN or infinite. */
  nonFiniteLoss: { step: number | null; raw: string } | null = null;
  cudaOomLine: string | null = null;
  badFlagLine: string | null = null;
  sigkillChildLine: string | null = null;
  hints = new Set<string>();
  linesSeen = 0;
  dictsSeen = 0;
  private readonly tail: string[] = [];
  private tailIsBar = false;
  private barTotal: number | null = null;

  constructor(private readonly opts: TrainerLogStateOptions = {}) {}

  /** Feed one line (already split on \n and \r). */
  line(stream: StreamName, raw: string): void {
    const line = raw.replace(/\s+$/, '');
    if (line.trim().length === 0) return;
    this.linesSeen++;
    const bar = parseProgressBar(line);
    this.pushTail(`${stream === 'stderr' ? '! ' : ''}${line}`, bar !== null);
    if (bar) return this.onBar(bar);
    if (CUDA_OOM_RE.test(line)) this.cudaOomLine ??= line.trim();
    if (BAD_FLAG_RE.test(line)) this.badFlagLine = line.trim(); // the last one: the error, not the traceback's source line
    if (SIGKILL_CHILD_RE.test(line)) this.sigkillChildLine ??= line.trim();
    for (const k of KNOWN_ERRORS) if (k.re.test(line)) this.hints.add(k.hint);
    if (stream === 'stdout' || line.trimStart().startsWith('{')) {
      const d = parsePythonDict(line);
      if (d) this.onDict(d);
    }
  }

  private onBar(bar: ProgressBar): void {
    if (bar.desc !== '') return; // shard loading, dataset maps: not training steps
    if (this.barTotal === null) this.barTotal = bar.total;
    if (bar.total !== this.barTotal) return; // an evaluation bar
    this.progress.step = bar.n;
    this.progress.maxSteps = bar.total;
    if (bar.rate !== null && this.opts.samplesPerStep) {
      this.progress.samplesPerSecond = round4(bar.rate * this.opts.samplesPerStep);
    }
  }

  private onDict(d: PyDict): void {
    this.dictsSeen++;
    const epoch = d.epoch;
    if (typeof epoch === 'number' && Number.isFinite(epoch)) this.progress.epoch = epoch;
    if ('train_runtime' in d) {
      this.finalDict = d;
      const sps = d.train_samples_per_second;
      if (typeof sps === 'number' && Number.isFinite(sps)) this.progress.samplesPerSecond = sps;
      return;
    }
    const evalLoss = d.eval_loss;
    if (typeof evalLoss === 'number') this.lastEvalLoss = evalLoss;
    const loss = d.loss;
    if (typeof loss !== 'number') return;
    const step = this.stepForLoss();
    if (!Number.isFinite(loss)) {
      this.nonFiniteLoss ??= { step, raw: String(loss) };
      return;
    }
    this.lastLoss = loss;
    this.progress.loss = loss;
    if (step !== null) this.lossCurve.push({ step, loss });
  }

  /**
   * The step a freshly logged loss belongs to. The Trainer logs exactly every logging_steps, so
   * after the first point the grid decides; the first point follows from startStep when known
   * (0, or the resumed checkpoint's step), else from the bar, which may lag or lead the log line by a redraw.
   * trainer_state.json's log_history, when present, is authoritative (see lossCurveFromState).
   */
  private stepForLoss(): number | null {
    const every = this.opts.loggingSteps;
    const last = this.lossCurve.at(-1)?.step ?? null;
    const barStep = this.progress.step;
    if (every && every > 0) {
      if (last !== null) return last + every;
      if (this.opts.startStep !== undefined) return Math.floor(this.opts.startStep / every) * every + every;
      return barStep !== null ? Math.max(every, Math.round(barStep / every) * every) : every;
    }
    if (barStep !== null) return last !== null && barStep <= last ? last + 1 : barStep;
    return (last ?? 0) + 1;
  }

  private pushTail(line: string, isBar: boolean): void {
    const max = this.opts.tailLines ?? 60;
    if (isBar && this.tailIsBar) this.tail[this.tail.length - 1] = line;
    else this.tail.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
    this.tailIsBar = isBar;
    while (this.tail.length > max) this.tail.shift();
  }

  /** The last lines of output (bars collapsed), for failure details. */
  logTail(maxChars = 8000): string {
    const s = this.tail.join('\n');
    return s.length > maxChars ? s.slice(s.length - maxChars) : s;
  }
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Splits a byte stream into lines on `\n`, `\r` and `\r\n`, decoding UTF-8 across chunk edges. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';
  constructor(private readonly onLine: (line: string) => void) {}
  write(chunk: Buffer | string): void {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const parts = this.buf.split(/\r\n|\r|\n/);
    this.buf = parts.pop() ?? '';
    // A lone \r at the very end may be the first half of \r\n: harmless, it yields an empty line.
    for (const p of parts) this.onLine(p);
    if (this.buf.length > 1_000_000) {
      this.onLine(this.buf);
      this.buf = '';
    }
  }
  end(): void {
    this.buf += this.decoder.end();
    if (this.buf.length > 0) this.onLine(this.buf);
    this.buf = '';
  }
}
