import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTION_TYPES } from '../../domain/options';
import { seedDemoData } from '../../scripts/demo-data';
import { readJson, startTestStack, type TestStack } from '../harness/stack';

describe('demo data', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(() => stack?.close());

  it('seeds members with points and one option of each type into an empty database, and only then', async () => {
    expect(await seedDemoData(stack.mongo.db)).toMatch(/3 members/);
    expect(await seedDemoData(stack.mongo.db)).toBeUndefined();
    const options = await readJson(await stack.api.request('/v1/redemption-options?per_page=50'));
    expect(options.data.map((option: any) => option.type).sort()).toEqual([...OPTION_TYPES].sort());
    const members = await stack.mongo.db.collection('members').find().toArray();
    expect(members).toHaveLength(3);
    const sara = await readJson(
      await stack.api.request(`/v1/members/${members.find((m) => m.email === 'sara@example.com')!._id}`),
    );
    expect(sara.points_available).toBe(2_500);
  });
});
