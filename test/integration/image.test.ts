/**
 * The Docker image, built from the real Dockerfile and .dockerignore without Docker (see harness/image-build.ts): its
 * API (the image's CMD) and a worker (docker-compose's worker command) run from it against the suite's servers.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../../scripts/processes';
import type { MongoHandle } from '../../store/connect';
import { createMemberWithPoints, createOption } from '../harness/fixtures';
import { buildImage, type BuiltImage } from '../harness/image-build';
import { connectTestMongo, readJson, testConfig, TEST_API_KEY } from '../harness/stack';
import { startOtlpReceiver, type OtlpReceiver } from '../harness/otlp-receiver';
import { startStubPartner, type StubPartner } from '../harness/stub-partner';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
// Generous: npm ci, the bundles and the two processes' start compete with the other suites for two cores.
const TIMEOUT_MS = 300_000;

/** This machine's PATH without the project's node_modules/.bin, which `npm test` puts first and the image lacks. */
const hostPath = (process.env.PATH ?? '')
  .split(':')
  .filter((dir) => !dir.includes('node_modules'))
  .join(':');

/** What a builder and a container take from the machine: where programs are, and how to reach the registry. */
const hostEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      /^(HOME|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|https?_proxy|no_proxy)$/i.test(entry[0]) && entry[1] !== undefined,
  ),
);

interface ImageProcess {
  output(): string;
  /** Rejects with the process's stderr when it exits before stop(): raced against every wait. */
  exited: Promise<never>;
  stop(): Promise<void>;
}

function startFromImage(name: string, image: BuiltImage, command: string[], env: Record<string, string>): ImageProcess {
  const [file, ...args] = command;
  const child = spawn(file!, args, { cwd: image.hostPath('.'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let stopping = false;
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code, signal) => {
      if (stopping) return;
      reject(
        new Error(
          `The image's ${name} (${command.join(' ')}) exited with ${signal ?? `code ${code}`}. Its stderr:\n${stderr}\n` +
            `The end of its stdout:\n${stdout.slice(-4_000)}`,
        ),
      );
    });
  });
  exited.catch(() => undefined);
  return {
    output: () => stdout + stderr,
    exited,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(killer);
    },
  };
}

/** Polls until `probe` gives a value; fails at once with its stderr when one of the processes exits. */
async function until<T>(
  what: string,
  processes: ImageProcess[],
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const early = Promise.race(processes.map((process) => process.exited));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await Promise.race([probe().catch(() => undefined), early]);
    if (value !== undefined) return value;
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 250)), early]);
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s`);
}

const compose = parse(readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { command?: string[]; environment?: Record<string, string> }>;
};

describe('the Docker image', () => {
  const config = testConfig();
  let root: string;
  let image: BuiltImage;
  let mongo: MongoHandle;
  let partner: StubPartner;
  let receiver: OtlpReceiver;
  const processes: ImageProcess[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'image-'));
    image = await buildImage({
      context: projectRoot,
      dockerfile: join(projectRoot, 'Dockerfile'),
      root,
      baseEnv: { ...hostEnv, PATH: hostPath },
    });
    mongo = await connectTestMongo(config);
    partner = await startStubPartner();
    receiver = await startOtlpReceiver();
  }, TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop()));
    await partner?.close();
    await receiver?.close();
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.client.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('holds production dependencies only, and none of the tests, benches, the client, tools or local data', () => {
    const installed = JSON.parse(readFileSync(image.hostPath('node_modules/.package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const development = Object.entries(installed.packages).filter(([, entry]) => entry.dev);
    expect(development.map(([path]) => path)).toEqual([]);
    for (const path of ['test', 'bench', 'client', 'docs', '.git', '.tools', '.data', 'coverage']) {
      expect(existsSync(image.hostPath(path)), `the image holds ${path}`).toBe(false);
    }
  });

  it('holds the dependencies as patches/ changes them', () => {
    const patches = readdirSync(join(projectRoot, 'patches')).filter((name) => name.endsWith('.patch'));
    const patched = patches.flatMap((name) =>
      [...readFileSync(join(projectRoot, 'patches', name), 'utf8').matchAll(/^\+\+\+ b\/(node_modules\/\S+)$/gm)].map(
        ([, path]) => path!,
      ),
    );
    expect(patched.length).toBeGreaterThan(0);
    for (const path of patched) {
      expect(readFileSync(image.hostPath(path), 'utf8'), path).toBe(readFileSync(join(projectRoot, path), 'utf8'));
    }
  });

  it(
    "runs the API (the image's command) and a worker (compose's) that complete a redemption, traced",
    async () => {
      const port = await freePort();
      const worker = compose.services.worker!;
      const env = {
        ...hostEnv,
        PATH: hostPath,
        ...image.env,
        TEMPORAL_ADDRESS: config.temporal.address,
        TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
        MONGODB_URI: config.mongo.uri,
        MONGODB_DB: config.mongo.db,
        FERRETDB_POSTGRESQL_URL: inject('postgresUrl'),
        FLAVOURS_REDEEM_URL: partner.redeemUrl,
        // The default metrics port may be taken by a running `npm start` or another suite's worker.
        WORKER_METRICS_ADDRESS: 'off',
        LOG_LEVEL: 'info',
        // Tracing loads its packages only when it is on, and the worker then runs the traced workflow bundle.
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      };
      const api = startFromImage('API', image, image.cmd, { ...env, PORT: String(port), API_KEYS: TEST_API_KEY });
      processes.push(api);
      const workerProcess = startFromImage('worker', image, worker.command!, {
        ...env,
        WORKFLOW_BUNDLE_PATH: image.hostPath(worker.environment!.WORKFLOW_BUNDLE_PATH!),
      });
      processes.push(workerProcess);

      const url = `http://127.0.0.1:${port}`;
      const request = (path: string, init: RequestInit = {}) =>
        fetch(`${url}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json', ...init.headers },
        });
      await until(
        'The API was not ready',
        processes,
        async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined),
        120_000,
      );
      await until('The worker did not run', processes, async () =>
        workerProcess.output().includes('worker running') ? true : undefined,
      );

      const member = await createMemberWithPoints(mongo.db, 500);
      const option = await createOption(mongo.db, { partner: 'flavours', cost_points: 200 });
      const created = await Promise.race([
        request('/v1/redemptions', {
          method: 'POST',
          body: JSON.stringify({ customer_email: member.email, redemption_option_id: option.id }),
          headers: { 'idempotency-key': 'image-test' },
        }),
        api.exited,
      ]);
      expect([201, 202]).toContain(created.status);
      const { id } = await readJson(created);
      const redemption = await until('The redemption did not complete', processes, async () => {
        const body = await readJson(await request(`/v1/redemptions/${id}`));
        return body.status === 'completed' ? body : undefined;
      });
      expect(redemption.points).toBe(200);
      expect(partner.calls).toHaveLength(1);
      const balances = await readJson(await request(`/v1/members/${member._id}`));
      expect(balances.points_balance).toBe(300);
      await until('The trace of the redemption did not arrive from both processes', processes, async () => {
        const services = new Set(receiver.spans.map((span) => `${span.service} ${span.name.split(':')[0]}`));
        return services.has('redemption-api POST /v1/redemptions') && services.has('redemption-worker RunWorkflow')
          ? true
          : undefined;
      });
    },
    TIMEOUT_MS,
  );
});
