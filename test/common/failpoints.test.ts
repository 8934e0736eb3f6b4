import { afterEach, describe, expect, it, vi } from 'vitest';

/** The module reads LAKESTREAM_FAILPOINTS once, when it loads: each case loads a fresh copy. */
async function loadWith(spec: string): Promise<typeof import('../../src/common/failpoints.js')> {
  vi.resetModules();
  vi.stubEnv('LAKESTREAM_FAILPOINTS', spec);
  return import('../../src/common/failpoints.js');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('failpoints', () => {
  it('failpoints: name=throw@n throws the n-th time the point is reached, once', async () => {
    const { failpoint } = await loadWith('index.write=throw@2, other=throw');
    expect(() => failpoint('index.write')).not.toThrow();
    expect(() => failpoint('index.write')).toThrow('failpoint index.write (hit 2)');
    expect(() => failpoint('index.write')).not.toThrow();
    expect(() => failpoint('other')).toThrow('failpoint other (hit 1)');
    expect(() => failpoint('unarmed')).not.toThrow();
  });

  it('failpoints: a malformed action stops the process at load, naming the forms', async () => {
    await expect(loadWith('index.write=explode')).rejects.toThrow(/neither <name> nor <name>=throw@<n>/);
  });
});
