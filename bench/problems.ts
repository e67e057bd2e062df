/**
 * Benchmark problems (minimization), with their standard domains and known minima
 * (Surjanovic & Bingham, "Virtual Library of Simulation Experiments"; BoTorch's test_functions
 * use the same domains).
 */
import { Config } from '../src/domain';
import { SearchSpace } from '../src/space';

export interface Problem {
  name: string;
  space: SearchSpace;
  optimum: number;
  f(c: Config): number;
}

function box(names: string[], low: number, high: number): SearchSpace {
  return { params: Object.fromEntries(names.map((n) => [n, { type: 'float' as const, low, high }])), constraints: [] };
}
const xs = (d: number) => Array.from({ length: d }, (_, i) => `x${i}`);
const vec = (c: Config, d: number) => xs(d).map((n) => c[n] as number);

export const branin: Problem = {
  name: 'branin',
  space: { params: { x0: { type: 'float', low: -5, high: 10 }, x1: { type: 'float', low: 0, high: 15 } }, constraints: [] },
  optimum: 0.39788735772973816,
  f(c) {
    const x1 = c.x0 as number;
    const x2 = c.x1 as number;
    const b = 5.1 / (4 * Math.PI * Math.PI);
    return (x2 - b * x1 * x1 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
  },
};

const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
export const hartmann6: Problem = {
  name: 'hartmann6',
  space: box(xs(6), 0, 1),
  optimum: -3.322368011415515,
  f(c) {
    const x = vec(c, 6);
    let s = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += (H_A[i]?.[j] as number) * ((x[j] as number) - (H_P[i]?.[j] as number) * 1e-4) ** 2;
      s -= (H_ALPHA[i] as number) * Math.exp(-inner);
    }
    return s;
  },
};

export const ackley10: Problem = {
  name: 'ackley10',
  space: box(xs(10), -32.768, 32.768),
  optimum: 0,
  f(c) {
    const x = vec(c, 10);
    const d = x.length;
    const s1 = x.reduce((a, v) => a + v * v, 0);
    const s2 = x.reduce((a, v) => a + Math.cos(2 * Math.PI * v), 0);
    return -20 * Math.exp(-0.2 * Math.sqrt(s1 / d)) - Math.exp(s2 / d) + 20 + Math.E;
  },
};

export const levy10: Problem = {
  name: 'levy10',
  space: box(xs(10), -10, 10),
  optimum: 0,
  f(c) {
    const w = vec(c, 10).map((v) => 1 + (v - 1) / 4);
    const d = w.length;
    let s = Math.sin(Math.PI * (w[0] as number)) ** 2;
    for (let i = 0; i < d - 1; i++) {
      const wi = w[i] as number;
      s += (wi - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * wi + 1) ** 2);
    }
    const wd = w[d - 1] as number;
    return s + (wd - 1) ** 2 * (1 + Math.sin(2 * Math.PI * wd) ** 2);
  },
};

export const rosenbrock10: Problem = {
  name: 'rosenbrock10',
  space: box(xs(10), -5, 10),
  optimum: 0,
  f(c) {
    const x = vec(c, 10);
    let s = 0;
    for (let i = 0; i < x.length - 1; i++) s += 100 * ((x[i + 1] as number) - (x[i] as number) ** 2) ** 2 + (1 - (x[i] as number)) ** 2;
    return s;
  },
};

export const PROBLEMS: Record<string, Problem> = { branin, hartmann6, ackley10, levy10, rosenbrock10 };
