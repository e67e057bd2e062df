/**
 * Scrambled Sobol sequence (Sobol 1967) with Joe & Kuo's direction numbers (new-joe-kuo-6.21201,
 * first 21 dimensions), scrambled by a random linear matrix scramble plus a random digital shift
 * (Matoušek 1998; what scipy.stats.qmc.Sobol(scramble=True) does). Dimensions beyond 21 fall back
 * to plain pseudo-random numbers.
 *
 * Notation: point i has coordinates x_j(i) = (⊕_{b : bit b of gray(i)} V_j[b]) / 2³², with
 * gray(i) = i ⊕ (i >> 1) and V_j[b] = m_{j,b+1} 2^{31−b}, extended by the recurrence of the
 * primitive polynomial of degree s with coefficients a:
 *   V[b] = V[b−s] ⊕ (V[b−s] >> s) ⊕ ⊕_{k=1}^{s−1} a_k V[b−k].
 */
import { Rng } from '../space';

/** [s, a, m_1..m_s] for dimensions 2..21 (dimension 1 is the van der Corput sequence). */
const JOE_KUO: [number, number, number[]][] = [
  [1, 0, [1]],
  [2, 1, [1, 3]],
  [3, 1, [1, 3, 1]],
  [3, 2, [1, 1, 1]],
  [4, 1, [1, 1, 3, 3]],
  [4, 4, [1, 3, 5, 13]],
  [5, 2, [1, 1, 5, 5, 17]],
  [5, 4, [1, 1, 5, 5, 5]],
  [5, 7, [1, 1, 7, 11, 19]],
  [5, 11, [1, 1, 5, 1, 1]],
  [5, 13, [1, 1, 1, 3, 11]],
  [5, 14, [1, 3, 5, 5, 31]],
  [6, 1, [1, 3, 3, 9, 7, 49]],
  [6, 13, [1, 1, 1, 15, 21, 21]],
  [6, 16, [1, 3, 1, 13, 27, 49]],
  [6, 19, [1, 1, 1, 15, 7, 5]],
  [6, 22, [1, 3, 1, 15, 13, 25]],
  [6, 25, [1, 1, 5, 5, 19, 61]],
  [7, 1, [1, 3, 7, 11, 23, 15, 103]],
  [7, 4, [1, 3, 7, 13, 13, 15, 69]],
];
export const SOBOL_MAX_DIM = JOE_KUO.length + 1;

function directionNumbers(j: number): Uint32Array {
  const V = new Uint32Array(32);
  if (j === 0) {
    for (let b = 0; b < 32; b++) V[b] = (1 << (31 - b)) >>> 0;
    return V;
  }
  const [s, a, m] = JOE_KUO[j - 1] as [number, number, number[]];
  for (let b = 0; b < 32; b++) {
    if (b < s) V[b] = ((m[b] as number) << (31 - b)) >>> 0;
    else {
      let v = ((V[b - s] as number) ^ ((V[b - s] as number) >>> s)) >>> 0;
      for (let k = 1; k < s; k++) if ((a >>> (s - 1 - k)) & 1) v = (v ^ (V[b - k] as number)) >>> 0;
      V[b] = v;
    }
  }
  return V;
}

function parity(v: number): number {
  v ^= v >>> 16;
  v ^= v >>> 8;
  v ^= v >>> 4;
  v ^= v >>> 2;
  v ^= v >>> 1;
  return v & 1;
}

export class ScrambledSobol {
  private readonly V: Uint32Array[];
  private readonly shift: Uint32Array;
  private readonly extraRng: Rng;

  constructor(readonly dim: number, seed: number) {
    const rng = new Rng(seed ^ 0x50b01);
    this.V = [];
    for (let j = 0; j < Math.min(dim, SOBOL_MAX_DIM); j++) {
      const V = directionNumbers(j);
      // Linear matrix scramble: digit p (weight 2^{−p−1}) becomes ⊕_{q ≤ p} M_pq digit_q, M_pp = 1.
      const masks = new Uint32Array(32);
      for (let p = 0; p < 32; p++) {
        let mask = (1 << (31 - p)) >>> 0;
        for (let q = 0; q < p; q++) if (rng.nextU32() & 1) mask = (mask | (1 << (31 - q))) >>> 0;
        masks[p] = mask;
      }
      const S = new Uint32Array(32);
      for (let b = 0; b < 32; b++) {
        let out = 0;
        for (let p = 0; p < 32; p++) if (parity(((V[b] as number) & (masks[p] as number)) >>> 0)) out |= 1 << (31 - p);
        S[b] = out >>> 0;
      }
      this.V.push(S);
    }
    this.shift = Uint32Array.from({ length: dim }, () => rng.nextU32());
    this.extraRng = rng.fork();
  }

  /** Point i (random access), in [0,1)^dim. */
  point(i: number): Float64Array {
    const g = (i ^ (i >>> 1)) >>> 0;
    const x = new Float64Array(this.dim);
    for (let j = 0; j < this.dim; j++) {
      if (j >= SOBOL_MAX_DIM) {
        x[j] = this.extraRng.random();
        continue;
      }
      const V = this.V[j] as Uint32Array;
      let v = this.shift[j] as number;
      for (let b = 0; b < 32 && g >>> b; b++) if ((g >>> b) & 1) v = (v ^ (V[b] as number)) >>> 0;
      x[j] = (v >>> 0) / 4294967296;
    }
    return x;
  }
}
