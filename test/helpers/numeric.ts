/** Central difference (f(x + h e_k) − f(x − h e_k)) / 2h of a function of a vector, for gradient checks. */
export function centralDiff(f: (x: Float64Array) => number, x: Float64Array, k: number, h = 1e-6): number {
  const xp = Float64Array.from(x);
  xp[k] = (xp[k] as number) + h;
  const xm = Float64Array.from(x);
  xm[k] = (xm[k] as number) - h;
  return (f(xp) - f(xm)) / (2 * h);
}
