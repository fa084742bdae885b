/** Kubernetes resource quantities, as the API writes sizes ("10Gi", "1.5G", "1e9"). */

const BINARY_SUFFIX: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const QUANTITY = /^\+?(\d*)(?:\.(\d*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/;

/**
 * A Kubernetes quantity ("10Gi", "1.5G", "1e9", "500M") in whole bytes,
 * rounded up; undefined when absent, negative or not a quantity.
 */
export function parseQuantity(quantity: string | null | undefined): number | undefined {
  const match = quantity ? QUANTITY.exec(quantity.trim()) : null;
  if (!match) return undefined;
  const [, whole = '', fraction = '', binary, decimal, exponent] = match;
  if (!whole && !fraction) return undefined;
  // Exact arithmetic: mantissa × 10^power × factor, then a ceiling division.
  let numerator = BigInt(whole + fraction) * (binary ? (BINARY_SUFFIX[binary] ?? 1n) : 1n);
  const power = (decimal ? (DECIMAL_SUFFIX[decimal] ?? 0) : 0) + (exponent ? Number(exponent) : 0) - fraction.length;
  let denominator = 1n;
  if (power >= 0) numerator *= 10n ** BigInt(power);
  else denominator = 10n ** BigInt(-power);
  return Number((numerator + denominator - 1n) / denominator);
}
