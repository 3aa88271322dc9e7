/**
 * The headless Chromium that the Temporal UI test drives. `npm test` provisions it like the other tools: where none is
 * found, Debian's `chromium` is installed with apt-get (as root, or through sudo when it needs no password).
 */
import { spawnSync } from 'node:child_process';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome'];

function runs(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

function candidates(): string[] {
  return process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : CANDIDATES;
}

/** CHROMIUM_PATH, or the first of chromium / chromium-browser / google-chrome on PATH that runs. */
export function locateChromium(): string | undefined {
  return candidates().find((candidate) => runs(candidate, ['--version']));
}

export function noChromiumMessage(
  remedy = "Install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH.",
): string {
  return `No Chromium found (tried ${candidates().join(', ')}). ${remedy}`;
}

/** The Chromium to drive, installing Debian's package first when there is none; throws with what to do otherwise. */
export function provisionChromium(): string {
  const found = locateChromium();
  if (found) return found;
  // A CHROMIUM_PATH that does not run is a mistake to fix, not a reason to install another browser.
  if (process.env.CHROMIUM_PATH) throw new Error(noChromiumMessage('Point CHROMIUM_PATH at a Chromium, or unset it.'));
  if (!runs('apt-get', ['--version'])) {
    throw new Error(noChromiumMessage('Without apt-get, install Chromium yourself and set CHROMIUM_PATH to it.'));
  }
  const asRoot = process.getuid?.() === 0 ? [] : runs('sudo', ['-n', 'true']) ? ['sudo', '-n'] : undefined;
  if (!asRoot) {
    throw new Error(
      noChromiumMessage(
        "Installing Debian's package needs root: run `sudo apt-get install -y chromium`, or set CHROMIUM_PATH.",
      ),
    );
  }
  console.log("No Chromium found: installing Debian's chromium for the Temporal UI test (apt-get).");
  for (const args of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium'],
  ]) {
    const [command, ...rest] = [...asRoot, 'env', 'DEBIAN_FRONTEND=noninteractive', ...args];
    if (spawnSync(command!, rest, { stdio: 'inherit' }).status !== 0) {
      throw new Error(`\`${args.join(' ')}\` failed (see above). ${noChromiumMessage()}`);
    }
  }
  const installed = locateChromium();
  if (!installed) throw new Error(`Debian's chromium was installed but does not run. ${noChromiumMessage()}`);
  return installed;
}
