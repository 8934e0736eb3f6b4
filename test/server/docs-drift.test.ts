import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeProperties } from '../../src/common/properties.js';
import { describeSettings } from '../../src/server/config.js';

const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README is generated from the schemas', () => {
  it('lists every server flag as config.ts declares it', () => {
    expect(readme).toContain(describeSettings());
  });
  it('lists every table property as properties.ts declares it', () => {
    expect(readme).toContain(describeProperties());
  });
});
