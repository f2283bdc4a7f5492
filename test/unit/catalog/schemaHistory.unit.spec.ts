// Every event schema evolves BACKWARD-compatibly: each version reads what the one before it
// wrote, and the newest frozen version is exactly what the code uses.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { render, versions } from '../../../scripts/gen-avsc.js';
import { backwardIncompatibility } from '../../../schemas/compatibility.js';
import { eventSchemas, eventTypes } from '../../../schemas/events/index.js';
import { ClaimRequested } from '../../../schemas/events/storefront.js';

describe('the schema history', () => {
  it.each(eventTypes)('%s: the newest frozen version is the one in code (run `npm run gen:avsc`)', (type) => {
    const last = versions(type).at(-1);
    expect(last, `no schemas/avsc/${type}/v1.avsc`).toBeDefined();
    expect(fs.readFileSync(last!.file, 'utf8')).toBe(render(eventSchemas[type]));
  });

  it.each(eventTypes)('%s: every version reads what the version before it wrote', (type) => {
    const history = versions(type).map((v) => JSON.parse(fs.readFileSync(v.file, 'utf8')) as unknown);
    for (let i = 1; i < history.length; i++) expect(backwardIncompatibility(history[i], history[i - 1])).toBeUndefined();
  });

  it('refuses a new required field without a default', () => {
    const withRequired = { ...ClaimRequested, fields: [...ClaimRequested.fields, { name: 'channel', type: 'string' }] };
    expect(backwardIncompatibility(withRequired, ClaimRequested)).toMatch(/channel/);
  });

  it('accepts a new optional field with a default', () => {
    const withOptional = {
      ...ClaimRequested,
      fields: [...ClaimRequested.fields, { name: 'channel', type: ['null', 'string'], default: null }],
    };
    expect(backwardIncompatibility(withOptional, ClaimRequested)).toBeUndefined();
  });
});
