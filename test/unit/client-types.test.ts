import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, clientTypes } from '../../scripts/client-types';

describe('the typed client', () => {
  it("is generated from the API's OpenAPI document as it is now", async () => {
    const committed = readFileSync(CLIENT_TYPES_PATH, 'utf8');
    expect(committed, 'client/schema.d.ts is out of date: run npm run client:generate').toBe(await clientTypes());
  });
});
