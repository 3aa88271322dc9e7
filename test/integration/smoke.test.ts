import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoHandle } from '../../store/connect';
import { installTemporalRuntime } from '../../application/temporal-runtime';
import { connectTestClient, connectTestMongo, testConfig } from '../harness/stack';

function smokeActivities(mongo: MongoHandle) {
  const notes = mongo.db.collection<{ _id: string; text: string }>('smoke_notes');
  return {
    async writeNote(text: string): Promise<string> {
      const id = `note-${Date.now()}`;
      await notes.insertOne({ _id: id, text });
      return id;
    },
    async readNote(id: string): Promise<string | undefined> {
      return (await notes.findOne({ _id: id }))?.text;
    },
  };
}
export type SmokeActivities = ReturnType<typeof smokeActivities>;

describe('embedded stack smoke test', () => {
  const config = testConfig();
  let mongo: MongoHandle;
  beforeAll(async () => {
    mongo = await connectTestMongo(config);
  });
  afterAll(() => mongo?.client.close());

  it('runs a real workflow whose activity writes to MongoDB and reads it back', async () => {
    installTemporalRuntime({ logLevel: 'ERROR' });
    const client = await connectTestClient(config);
    const connection = await NativeConnection.connect({ address: config.temporal.address });
    const worker = await Worker.create({
      connection,
      taskQueue: config.temporal.taskQueue,
      workflowsPath: fileURLToPath(new URL('../fixtures/smoke-workflow.ts', import.meta.url)),
      activities: smokeActivities(mongo),
    });
    try {
      const result = await worker.runUntil(
        client.workflow.execute('smokeWorkflow', {
          taskQueue: config.temporal.taskQueue,
          workflowId: `smoke-${Date.now()}`,
          args: ['hello from a workflow'],
        }),
      );
      expect(result).toBe('hello from a workflow');
      expect(await mongo.db.collection('smoke_notes').countDocuments({ text: 'hello from a workflow' })).toBe(1);
    } finally {
      await connection.close();
      await client.connection.close();
    }
  });
});
