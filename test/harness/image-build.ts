/**
 * Builds the Docker image without Docker, into a folder that stands for the image's filesystem: each COPY lays out
 * exactly what Docker would send from the build context (the project, less what .dockerignore excludes) and each RUN
 * runs there with the image's ENV. The base image's own files are this machine's (its node and npm).
 */
import ignore from '@balena/dockerignore';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { envVariables, parseDockerfile, words, type Instruction } from './dockerfile';

export interface BuiltImage {
  /** WORKDIR, inside the image. */
  workdir: string;
  env: Record<string, string>;
  /** CMD as the words to spawn. */
  cmd: string[];
  /** The host path of a path inside the image. */
  hostPath(imagePath: string): string;
}

/** The build context's files (and symlinks), relative to it with `/`, without what .dockerignore excludes. */
export function contextFiles(context: string): string[] {
  const ignoreFile = join(context, '.dockerignore');
  const patterns = existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '';
  const excluded = ignore({ ignorecase: false }).add(patterns);
  // An excluded folder can hold a file that an exception (`!pattern`) brings back; without exceptions it is skipped.
  const hasExceptions = patterns.split('\n').some((line) => line.trim().startsWith('!'));
  const files: string[] = [];
  const visit = (relative: string) => {
    for (const entry of readdirSync(join(context, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!hasExceptions && excluded.ignores(path)) continue;
        visit(path);
      } else if (!excluded.ignores(path)) {
        files.push(path);
      }
    }
  };
  visit('');
  return files.sort();
}

/** Lays out and runs the Dockerfile's single stage into `root`; a failing RUN throws with its output. */
export async function buildImage(options: {
  context: string;
  dockerfile: string;
  root: string;
  /** What the base image's environment gives every RUN: PATH, HOME, and the machine's way to the registry. */
  baseEnv: Record<string, string>;
}): Promise<BuiltImage> {
  const files = contextFiles(options.context);
  const image: BuiltImage = {
    workdir: '/',
    env: {},
    cmd: [],
    hostPath: (imagePath) => join(options.root, posix.resolve(image.workdir, imagePath)),
  };
  let stages = 0;
  for (const instruction of parseDockerfile(readFileSync(options.dockerfile, 'utf8'))) {
    const where = `Dockerfile line ${instruction.line} (${instruction.keyword} ${instruction.rest})`;
    switch (instruction.keyword) {
      case 'FROM':
        if (++stages > 1) throw new Error(`${where}: only a single-stage build is laid out`);
        break;
      case 'ENV':
        Object.assign(image.env, envVariables(instruction.rest, image.env));
        break;
      case 'WORKDIR':
        image.workdir = posix.resolve(image.workdir, words(instruction.rest, image.env).join(' '));
        mkdirSync(image.hostPath('.'), { recursive: true });
        break;
      case 'COPY':
        copyFromContext(instruction, files, options.context, image, where);
        break;
      case 'RUN':
        await run(instruction, image, options.baseEnv, where);
        break;
      case 'CMD':
        image.cmd = instruction.exec ?? ['/bin/sh', '-c', instruction.rest];
        break;
      // The processes run as this machine's user, on the port the test gives them.
      case 'USER':
      case 'EXPOSE':
        break;
      default:
        throw new Error(`${where}: the image test does not lay out ${instruction.keyword}`);
    }
  }
  return image;
}

function copyFromContext(
  instruction: Instruction,
  files: string[],
  context: string,
  image: BuiltImage,
  where: string,
): void {
  // --chown and --chmod change owners and modes only; a stage or another context (--from) is not laid out.
  const unsupported = instruction.flags.filter((flag) => !/^(chown|chmod|link)\b/.test(flag));
  if (unsupported.length > 0) throw new Error(`${where}: unsupported --${unsupported.join(', --')}`);
  const args = instruction.exec ?? words(instruction.rest, image.env);
  const sources = args.slice(0, -1);
  const dest = args.at(-1);
  if (!dest || sources.length === 0) throw new Error(`${where}: COPY needs a source and a destination`);
  const destIsFolder = dest.endsWith('/') || sources.length > 1;
  for (const source of sources) {
    if (/[*?[]/.test(source)) throw new Error(`${where}: wildcards are not laid out`);
    // Relative to the context whichever way it is written: `.`, `./domain/`, `/domain`.
    const path = posix.normalize(`/${source}`).slice(1).replace(/\/$/, '');
    const prefix = path ? `${path}/` : '';
    const underFolder = files.filter((file) => file.startsWith(prefix));
    if (files.includes(path)) {
      const target = destIsFolder || isFolder(image.hostPath(dest)) ? posix.join(dest, posix.basename(path)) : dest;
      copyEntry(join(context, path), image.hostPath(target));
    } else if (underFolder.length > 0) {
      for (const file of underFolder) {
        copyEntry(join(context, file), image.hostPath(posix.join(dest, file.slice(prefix.length))));
      }
    } else {
      throw new Error(`${where}: ${source} is not in the build context (missing, or excluded by .dockerignore)`);
    }
  }
}

function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function copyEntry(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  const stats = lstatSync(from);
  rmSync(to, { force: true });
  if (stats.isSymbolicLink()) {
    symlinkSync(readlinkSync(from), to);
  } else {
    copyFileSync(from, to);
    chmodSync(to, stats.mode);
  }
}

async function run(instruction: Instruction, image: BuiltImage, baseEnv: Record<string, string>, where: string) {
  const [command, ...args] = instruction.exec ?? ['/bin/sh', '-c', instruction.rest];
  const child = spawn(command!, args, {
    cwd: image.hostPath('.'),
    env: { ...baseEnv, ...image.env, npm_config_cache: npmCache(instruction, image, where) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${where} failed with exit code ${code}:\n${output.slice(-8_000)}`);
}

/**
 * npm's cache for a RUN: a cache mount on it (`--mount=type=cache,target=/root/.npm`) outlives the build, as this
 * machine's cache does, so it is this machine's; without one the cache is the image's own, empty at first, so that
 * what the step does to it (`npm cache clean`) stays in the image.
 */
function npmCache(instruction: Instruction, image: BuiltImage, where: string): string {
  let cache = image.hostPath('/root/.npm');
  for (const flag of instruction.flags) {
    const mount = /^mount=(.*)$/.exec(flag);
    const options = new Map(mount?.[1]!.split(',').map((option) => option.split('=', 2) as [string, string]));
    if (!mount || options.get('type') !== 'cache' || !options.get('target')?.endsWith('/.npm')) {
      throw new Error(`${where}: unsupported --${flag}`);
    }
    cache = join(homedir(), '.npm');
  }
  return cache;
}
