/**
 * The report's plots as Plotly figure specifications ({ data, layout } JSON). Plotly draws them in
 * the page; nothing here draws. Each builder returns null with a reason when there is nothing to
 * plot, and the page shows the reason instead of an empty chart.
 */
import type { Analysis } from '../analysis';
import { numericValue, stageOrder } from '../analysis';
import type { LoadedTrial } from '../analysis';
import type { SearchSpace } from '../space';

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}
export type MaybeFigure = { figure: Figure } | { reason: string };

/** Plotly's default qualitative palette (D3 category10), one colour per stage. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const stageColor = (i: number) => PALETTE[i % PALETTE.length] as string;

const baseLayout = (title: string, extra: Record<string, unknown> = {}) => ({
  title: { text: title, x: 0.02 },
  margin: { l: 70, r: 30, t: 50, b: 60 },
  height: 420,
  hovermode: 'closest',
  legend: { orientation: 'h', y: -0.2 },
  ...extra,
});

/** Trials of a stage in the order they finished (the optimization history's x axis). */
function byStage(trials: readonly LoadedTrial[]): Map<string, LoadedTrial[]> {
  const m = new Map<string, LoadedTrial[]>();
  for (const s of stageOrder(trials.map((t) => t.stage))) m.set(s, trials.filter((t) => t.stage === s));
  return m;
}

const ok = (t: LoadedTrial): t is LoadedTrial & { finalLoss: number } => t.status === 'succeeded' && t.finalLoss !== null;

/** Loss of every trial in finishing order, with the best so far as a step line, per stage. */
export function historyFigure(trials: readonly LoadedTrial[]): MaybeFigure {
  if (!trials.some(ok)) return { reason: 'no succeeded trial with a known loss' };
  const data: Record<string, unknown>[] = [];
  const maxLoss = Math.max(...trials.filter(ok).map((t) => t.finalLoss));
  [...byStage(trials)].forEach(([stage, ts], si) => {
    const n = ts.map((_, i) => i + 1);
    const good = ts.map((t, i) => ({ t, x: n[i] as number })).filter((p) => ok(p.t));
    const bad = ts.map((t, i) => ({ t, x: n[i] as number })).filter((p) => !ok(p.t));
    data.push({
      type: 'scatter', mode: 'markers', name: `${stage} trials`, legendgroup: stage,
      x: good.map((p) => p.x), y: good.map((p) => p.t.finalLoss),
      text: good.map((p) => p.t.trialId), hovertemplate: '%{text}<br>trial %{x}<br>loss %{y:.4f}<extra></extra>',
      marker: { color: stageColor(si), size: 9, opacity: 0.75 },
    });
    let best = Infinity;
    const bx: number[] = [];
    const by: number[] = [];
    ts.forEach((t, i) => {
      if (ok(t) && t.finalLoss < best) best = t.finalLoss;
      if (Number.isFinite(best)) {
        bx.push(i + 1);
        by.push(best);
      }
    });
    data.push({
      type: 'scatter', mode: 'lines', name: `${stage} best so far`, legendgroup: stage,
      x: bx, y: by, line: { color: stageColor(si), width: 3, shape: 'hv' }, hovertemplate: 'best so far %{y:.4f}<extra></extra>',
    });
    if (bad.length > 0) {
      data.push({
        type: 'scatter', mode: 'markers', name: `${stage} infeasible/failed`, legendgroup: stage,
        x: bad.map((p) => p.x), y: bad.map(() => maxLoss * 1.05),
        text: bad.map((p) => `${p.t.trialId}: ${p.t.status}${p.t.failureType ? ` (${p.t.failureType})` : ''}`),
        hovertemplate: '%{text}<extra></extra>',
        marker: { color: stageColor(si), symbol: 'x', size: 10, line: { width: 1 } },
      });
    }
  });
  return { figure: { data, layout: baseLayout('Optimization history (best so far per stage)', { xaxis: { title: { text: 'trial (in finishing order, per stage)' }, dtick: 1 }, yaxis: { title: { text: 'final loss' } } }) } };
}

/** Training loss against step for every trial with a curve; the best trial of each stage drawn thick. */
export function lossCurvesFigure(trials: readonly LoadedTrial[], a: Analysis): MaybeFigure {
  const withCurve = trials.filter((t) => t.lossCurve.length > 0);
  if (withCurve.length === 0) return { reason: 'no loss curve in results.json or training.log' };
  const bestIds = new Set(a.stages.map((s) => s.best?.trialId).filter((x): x is string => !!x));
  const stages = stageOrder(trials.map((t) => t.stage));
  const shown = new Set<string>();
  const data = withCurve.map((t) => {
    const si = stages.indexOf(t.stage);
    const best = bestIds.has(t.trialId);
    const first = !shown.has(t.stage);
    shown.add(t.stage);
    return {
      type: 'scatter', mode: 'lines', name: best ? `${t.stage} best: ${t.trialId}` : t.stage,
      legendgroup: best ? `${t.stage}-best` : t.stage, showlegend: best || first,
      x: t.lossCurve.map((p) => p.step), y: t.lossCurve.map((p) => p.loss),
      line: { color: stageColor(si), width: best ? 3.5 : 1.2 }, opacity: best ? 1 : 0.45,
      hovertemplate: `${t.trialId}${t.lossCurveSource === 'training.log' ? ' (from training.log)' : ''}<br>step %{x}<br>loss %{y:.4f}<extra></extra>`,
    };
  });
  return { figure: { data, layout: baseLayout('Training loss curves', { xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'training loss' } } }) } };
}

/** Parallel coordinates of the succeeded configs, coloured by final loss. */
export function parallelCoordinatesFigure(trials: readonly LoadedTrial[], space: SearchSpace): MaybeFigure {
  const good = trials.filter(ok);
  if (good.length < 2) return { reason: 'fewer than 2 succeeded trials' };
  const stages = stageOrder(good.map((t) => t.stage));
  const dims: Record<string, unknown>[] = [];
  if (stages.length > 1) {
    dims.push({ label: 'stage', values: good.map((t) => stages.indexOf(t.stage)), tickvals: stages.map((_, i) => i), ticktext: stages });
  }
  for (const [param, spec] of Object.entries(space.params)) {
    if (spec.type === 'fixed') continue;
    const vals = good.map((t) => numericValue(space, param, t.config[param]));
    if (vals.some((v) => v === null)) continue;
    const nums = vals as number[];
    if (nums.every((v) => v === nums[0])) continue;
    const log = (spec.type === 'float' || spec.type === 'int') && spec.log === true;
    if (log) {
      const lo = Math.floor(Math.log10(Math.min(...nums)) * 4) / 4;
      const hi = Math.ceil(Math.log10(Math.max(...nums)) * 4) / 4;
      const ticks: number[] = [];
      for (let e = lo; e <= hi + 1e-9; e += 0.25) ticks.push(Number(e.toFixed(2)));
      dims.push({ label: param, values: nums.map(Math.log10), tickvals: ticks, ticktext: ticks.map((e) => (10 ** e).toExponential(1)) });
    } else if (spec.type === 'categorical' && spec.choices.every((c) => typeof c === 'number')) {
      dims.push({ label: param, values: nums, tickvals: spec.choices });
    } else dims.push({ label: param, values: nums });
  }
  const losses = good.map((t) => t.finalLoss);
  dims.push({ label: 'final loss', values: losses });
  return {
    figure: {
      data: [{
        type: 'parcoords',
        labelangle: -30,
        labelside: 'top',
        line: { color: losses, colorscale: 'Viridis', reversescale: true, showscale: true, colorbar: { title: { text: 'final loss' } } },
        dimensions: dims,
      }],
      // No in-plot title: the rotated axis labels use the top margin (the page's card has the heading).
      layout: { height: 500, margin: { l: 70, r: 70, t: 130, b: 40 } },
    },
  };
}

/** Importance share per parameter (first-order Sobol index of the GP fit), one bar series per stage. */
export function importanceFigure(a: Analysis): MaybeFigure {
  const withImp = a.stages.filter((s) => s.importance);
  if (withImp.length === 0) return { reason: a.stages.map((s) => `${s.stage}: ${s.importanceNote ?? 'no data'}`).join('; ') || 'no trials' };
  const last = withImp[withImp.length - 1]?.importance;
  const order = [...(last?.params ?? [])].reverse().map((p) => p.param);
  for (const s of withImp) for (const p of s.importance?.params ?? []) if (!order.includes(p.param)) order.unshift(p.param);
  const stages = a.stages.map((s) => s.stage);
  const data = withImp.map((s) => {
    const by = new Map((s.importance?.params ?? []).map((p) => [p.param, p]));
    return {
      type: 'bar', orientation: 'h', name: `${s.stage} (${s.importance?.points} trials)`,
      y: order, x: order.map((p) => (by.get(p)?.importance ?? 0) * 100),
      customdata: order.map((p) => [by.get(p)?.firstOrder ?? 0, by.get(p)?.totalEffect ?? 0, by.get(p)?.lengthscale ?? null]),
      hovertemplate: '%{y}: %{x:.1f}%<br>S_i %{customdata[0]:.3f}, ST_i %{customdata[1]:.3f}<br>GP lengthscale %{customdata[2]:.3f}<extra></extra>',
      marker: { color: stageColor(stages.indexOf(s.stage)) },
    };
  });
  return {
    figure: {
      data,
      layout: baseLayout('Hyperparameter importance (first-order Sobol share of a GP fit)', {
        barmode: 'group', height: 140 + 28 * order.length * Math.max(1, withImp.length * 0.6),
        xaxis: { title: { text: 'share of explained loss variance (%)' } }, yaxis: { automargin: true }, margin: { l: 200, r: 30, t: 50, b: 60 },
      }),
    },
  };
}

export interface FeasibilityCell {
  batch: number;
  ddpm: number;
  succeeded: number;
  oom: number;
}

/**
 * OOM evidence per (per_device_train_batch_size, ddpm_batch_mul): a succeeded trial counts where it
 * ran; an infeasible/OOM trial where it failed; a trial that the OOM ladder rescued after k halvings
 * also counts k OOMs at the larger batches it tried, reconstructed by doubling its batch back k
 * times (exact when the ladder halved even batches; an approximation for odd ones such as 6 → 3 → 1).
 */
export function feasibilityCells(trials: readonly LoadedTrial[]): FeasibilityCell[] {
  const cells = new Map<string, FeasibilityCell>();
  const cell = (batch: number, ddpm: number) => {
    const k = `${batch}|${ddpm}`;
    let c = cells.get(k);
    if (!c) cells.set(k, (c = { batch, ddpm, succeeded: 0, oom: 0 }));
    return c;
  };
  for (const t of trials) {
    const b = Number(t.config.per_device_train_batch_size);
    const d = Number(t.config.ddpm_batch_mul);
    if (!Number.isFinite(b) || !Number.isFinite(d)) continue;
    const oomFailure = t.status === 'infeasible' || /OutOfMemory|OOM/i.test(t.failureType ?? '');
    if (t.status === 'succeeded') cell(b, d).succeeded++;
    else if (oomFailure) cell(b, d).oom++;
    for (let j = 1; j <= t.oomLevel; j++) cell(b * 2 ** j, d).oom++;
  }
  return [...cells.values()].sort((x, y) => x.batch - y.batch || x.ddpm - y.ddpm);
}

export function feasibilityFigure(trials: readonly LoadedTrial[]): MaybeFigure {
  const cells = feasibilityCells(trials);
  if (cells.length === 0) return { reason: 'no trial with per_device_train_batch_size and ddpm_batch_mul' };
  const xs = [...new Set(cells.map((c) => c.batch))].sort((a, b) => a - b);
  const ys = [...new Set(cells.map((c) => c.ddpm))].sort((a, b) => a - b);
  const at = (x: number, y: number) => cells.find((c) => c.batch === x && c.ddpm === y);
  const z = ys.map((y) => xs.map((x) => {
    const c = at(x, y);
    return c && c.succeeded + c.oom > 0 ? c.oom / (c.succeeded + c.oom) : null;
  }));
  const text = ys.map((y) => xs.map((x) => {
    const c = at(x, y);
    return c ? `${c.succeeded} ok / ${c.oom} OOM` : '';
  }));
  return {
    figure: {
      data: [{
        type: 'heatmap', x: xs.map(String), y: ys.map(String), z, text, texttemplate: '%{text}', zmin: 0, zmax: 1,
        colorscale: [[0, '#2ca02c'], [0.5, '#ffdd57'], [1, '#d62728']], colorbar: { title: { text: 'OOM share' } },
        hovertemplate: 'batch %{x}, ddpm_batch_mul %{y}<br>%{text}<extra></extra>', xgap: 2, ygap: 2,
      }],
      layout: baseLayout('Feasibility: succeeded vs CUDA OOM by per-device batch × ddpm_batch_mul', {
        xaxis: { title: { text: 'per_device_train_batch_size' }, type: 'category' },
        yaxis: { title: { text: 'ddpm_batch_mul' }, type: 'category' },
      }),
    },
  };
}
