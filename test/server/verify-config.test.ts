/** VERIFY_INTERVAL_SECONDS and VERIFY_BATCH_SIZE, as loadConfig reads them. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('the verify-archives configuration', () => {
  it('defaults to one run an hour, ten archives a run', () => {
    const { engine } = loadConfig({});
    expect({ verifyIntervalMs: engine.verifyIntervalMs, verifyBatchSize: engine.verifyBatchSize }).toEqual({ verifyIntervalMs: 3_600_000, verifyBatchSize: 10 });
  });

  it('takes seconds and a count', () => {
    const { engine } = loadConfig({ VERIFY_INTERVAL_SECONDS: '60', VERIFY_BATCH_SIZE: '1' });
    expect({ verifyIntervalMs: engine.verifyIntervalMs, verifyBatchSize: engine.verifyBatchSize }).toEqual({ verifyIntervalMs: 60_000, verifyBatchSize: 1 });
  });

  it.each([
    ['VERIFY_INTERVAL_SECONDS', '0', /^VERIFY_INTERVAL_SECONDS: Too small/],
    ['VERIFY_INTERVAL_SECONDS', 'hourly', /^VERIFY_INTERVAL_SECONDS: Invalid input: expected number/],
    ['VERIFY_BATCH_SIZE', '0', /^VERIFY_BATCH_SIZE: Too small/],
    ['VERIFY_BATCH_SIZE', '2.5', /^VERIFY_BATCH_SIZE: Invalid input: expected int/],
  ])('%s=%s is refused, naming the variable', (name, value, message) => {
    expect(problems({ [name]: value })).toEqual([expect.stringMatching(message)]);
  });
});
