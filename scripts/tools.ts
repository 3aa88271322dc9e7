/**
 * Finds or builds the two servers of the embedded stack. Each binary is resolved in order: an explicit path
 * variable, the project's tools dir, PATH, then a build from its Go module at a pinned version.
 *
 * The build downloads the pinned module with `go mod download` and runs `go build` inside it, which is what
 * `go install pkg@version` does, with two differences we need: the Go module proxy refuses FerretDB's version list
 * (which `go install` reads to check for deprecations), and FerretDB's module lacks the build/version/version.txt
 * that its binary requires, so we write it as FerretDB's own build docs describe.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const toolsBin = join(projectRoot, '.tools', 'bin');
const toolsSrc = join(projectRoot, '.tools', 'src');

interface GoTool {
  name: string;
  binary: string;
  /** A variable that names a binary to use instead of building one. */
  pathVariable?: string;
  goModule: string;
  version: string;
  /** The main package inside the module. */
  mainPackage: string;
  /** More binaries built from the same module, by name: their main packages. */
  moreBinaries?: Record<string, string>;
  /** Folders of the module kept beside the binaries (under `toolFilesDir`), for what the binaries read at run time. */
  keptFolders?: string[];
  /** Files the build needs that the published module does not carry. */
  generatedFiles?: Record<string, string>;
}

export const TEMPORAL_CLI: GoTool = {
  name: 'Temporal CLI',
  binary: 'temporal',
  pathVariable: 'TEMPORAL_CLI_PATH',
  goModule: 'github.com/temporalio/cli',
  version: 'v1.5.1',
  mainPackage: './cmd/temporal',
};

export const FERRETDB: GoTool = {
  name: 'FerretDB',
  binary: 'ferretdb',
  pathVariable: 'FERRETDB_PATH',
  goModule: 'github.com/FerretDB/FerretDB',
  version: 'v1.24.2',
  mainPackage: './cmd/ferretdb',
  generatedFiles: { 'build/version/version.txt': 'v1.24.2\n' },
};

/**
 * The Temporal server of the production topology (`npm run start:cluster`), at the version the CLI's dev server embeds:
 * the server, its SQL tool, and the PostgreSQL schema files the tool applies.
 */
export const TEMPORAL_SERVER: GoTool = {
  name: 'Temporal server',
  binary: 'temporal-server',
  goModule: 'go.temporal.io/server',
  version: 'v1.29.1',
  mainPackage: './cmd/server',
  moreBinaries: { 'temporal-sql-tool': './cmd/tools/sql' },
  keptFolders: ['schema/postgresql/v12'],
};

/** The Temporal UI server, at the version the CLI's dev server embeds; it serves a cluster's UI. */
export const TEMPORAL_UI_SERVER: GoTool = {
  name: 'Temporal UI server',
  binary: 'temporal-ui-server',
  goModule: 'github.com/temporalio/ui-server/v2',
  version: 'v2.42.1',
  mainPackage: './cmd/server',
};

/** Where a tool's kept folders live once built. */
export function toolFilesDir(tool: GoTool): string {
  return join(projectRoot, '.tools', 'share', `${tool.binary}-${tool.version}`);
}

export function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, binary);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function builtVersionStamp(tool: GoTool): string {
  return join(toolsBin, `${tool.binary}.version`);
}

function isBuiltAtPinnedVersion(tool: GoTool): boolean {
  const stamp = builtVersionStamp(tool);
  const binaries = [tool.binary, ...Object.keys(tool.moreBinaries ?? {})];
  return (
    binaries.every((binary) => existsSync(join(toolsBin, binary))) &&
    (tool.keptFolders ?? []).every((folder) => existsSync(join(toolFilesDir(tool), folder))) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === tool.version
  );
}

function goIsInstalled(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

// GOTOOLCHAIN is left to Go: an older Go (1.21+) fetches the toolchain a module asks for (the CLI needs 1.25).
const goEnv = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };

/** Runs a go command, printing a progress line every hundred compiled packages; rejects with go's last lines. */
function runGo(args: string[], cwd: string, label: string, log: (line: string) => void): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('go', args, { cwd, env: goEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let compiled = 0;
    let lastLines: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lastLines = [...lastLines.slice(-20), line];
        if (line.startsWith('go: downloading')) continue;
        compiled += 1;
        if (compiled % 100 === 0) log(`  ${label}: ${compiled} packages compiled...`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolvePromise(stdout);
      else reject(new Error(`go ${args[0]} for ${label} failed (exit ${code}):\n${lastLines.join('\n')}`));
    });
  });
}

async function buildWithGo(tool: GoTool, log: (line: string) => void): Promise<string> {
  log(`Building ${tool.name} ${tool.version} from its Go module (the first build takes a few minutes)...`);
  const started = Date.now();
  const download = JSON.parse(
    await runGo(['mod', 'download', '-json', `${tool.goModule}@${tool.version}`], projectRoot, tool.name, log),
  ) as { Dir?: string; Error?: string };
  if (!download.Dir) throw new Error(`go mod download of ${tool.goModule}@${tool.version} failed: ${download.Error}`);

  const source = join(toolsSrc, `${tool.binary}-${tool.version}`);
  rmSync(source, { recursive: true, force: true });
  cpSync(download.Dir, source, { recursive: true });
  chmodRecursively(source);
  for (const [file, content] of Object.entries(tool.generatedFiles ?? {})) writeFileSync(join(source, file), content);

  mkdirSync(toolsBin, { recursive: true });
  const output = join(toolsBin, tool.binary);
  const packages = { [tool.binary]: tool.mainPackage, ...tool.moreBinaries };
  for (const [binary, mainPackage] of Object.entries(packages)) {
    await runGo(['build', '-v', '-o', join(toolsBin, binary), mainPackage], source, tool.name, log);
  }
  for (const folder of tool.keptFolders ?? []) {
    rmSync(join(toolFilesDir(tool), folder), { recursive: true, force: true });
    cpSync(join(source, folder), join(toolFilesDir(tool), folder), { recursive: true });
  }
  writeFileSync(builtVersionStamp(tool), tool.version);
  rmSync(source, { recursive: true, force: true });
  log(`Built ${tool.name} in ${Math.round((Date.now() - started) / 1000)} s: ${output}`);
  return output;
}

/** The module cache is read-only; the copy must be writable to add generated files and to be removed later. */
function chmodRecursively(dir: string): void {
  spawnSync('chmod', ['-R', 'u+w', dir]);
}

export class GoMissingError extends Error {
  constructor(tool: GoTool) {
    super(
      `${tool.name} is missing: install Go 1.21 or newer (https://go.dev/dl/) so it can be built${tool.pathVariable ? `, or set ${tool.pathVariable} to a ${tool.binary} binary` : ''}.`,
    );
  }
}

/** Returns the path of a working binary for the tool, building it if needed, or throws one actionable sentence. */
export async function resolveGoTool(tool: GoTool, log: (line: string) => void = console.log): Promise<string> {
  const explicit = tool.pathVariable && process.env[tool.pathVariable];
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`${tool.pathVariable} points at ${explicit}, which does not exist.`);
    return explicit;
  }
  if (isBuiltAtPinnedVersion(tool)) return join(toolsBin, tool.binary);
  // A tool with more than one binary or with kept folders is only ever our own build.
  const onPath = tool.moreBinaries || tool.keptFolders ? undefined : findOnPath(tool.binary);
  if (onPath) return onPath;
  if (!goIsInstalled()) throw new GoMissingError(tool);
  return buildWithGo(tool, log);
}

/** How to run the Temporal CLI: a binary we have, or else the Temporal SDK's own download (which needs the internet). */
export type TemporalExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

export async function resolveTemporalExecutable(
  log: (line: string) => void = console.log,
): Promise<TemporalExecutable> {
  try {
    return { type: 'existing-path', path: await resolveGoTool(TEMPORAL_CLI, log) };
  } catch (error) {
    if (!(error instanceof GoMissingError)) throw error;
    log(`${error.message} Trying the Temporal SDK's own download of the CLI instead.`);
    return { type: 'cached-download' };
  }
}

/** A MongoDB-protocol server binary: a real `mongod` on PATH is preferred over FerretDB. */
export type MongoServerBinary = { kind: 'mongod'; path: string } | { kind: 'ferretdb'; path: string };

export async function resolveMongoServer(log: (line: string) => void = console.log): Promise<MongoServerBinary> {
  const mongod = process.env.FERRETDB_PATH ? undefined : findOnPath('mongod');
  if (mongod) return { kind: 'mongod', path: mongod };
  return { kind: 'ferretdb', path: await resolveGoTool(FERRETDB, log) };
}
