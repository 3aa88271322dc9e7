/**
 * A headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: commands on fd 3,
 * answers on fd 4, each message ended by a NUL byte), so the tests need no browser download and no WebSocket client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { locateChromium, noChromiumMessage } from '../../scripts/chromium';

/** The browser to drive (see scripts/chromium.ts, which `npm test` runs first to install one where there is none). */
export function findChromium(): string {
  const found = locateChromium();
  if (!found) throw new Error(noChromiumMessage());
  return found;
}

interface FrameTreeNode {
  frame: { id: string };
  childFrames?: FrameTreeNode[];
}

interface Pending {
  resolve(result: any): void;
  reject(error: Error): void;
}

export class BrowserPage {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered = '';
  private sessionId: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly profileDir: string,
  ) {
    const output = child.stdio[4] as Readable;
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => this.receive(chunk));
    child.once('exit', () => {
      for (const { reject } of this.pending.values()) reject(new Error('Chromium exited'));
      this.pending.clear();
    });
  }

  /** Starts Chromium with one blank page of the given size, attached to this driver. */
  static async launch(options: { width: number; height: number }): Promise<BrowserPage> {
    const profileDir = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
    const child = spawn(
      findChromium(),
      [
        '--headless',
        '--remote-debugging-pipe',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--no-default-browser-check',
        `--user-data-dir=${profileDir}`,
        `--window-size=${options.width},${options.height}`,
        'about:blank',
      ],
      // Its own process group, so that closing it ends its helper processes too.
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true },
    );
    const page = new BrowserPage(child, profileDir);
    try {
      const { targetInfos } = await page.send('Target.getTargets');
      const target = (targetInfos as { type: string; targetId: string }[]).find((info) => info.type === 'page');
      const targetId = target?.targetId ?? (await page.send('Target.createTarget', { url: 'about:blank' })).targetId;
      const { sessionId } = await page.send('Target.attachToTarget', { targetId, flatten: true });
      page.sessionId = sessionId as string;
      await page.send('Page.enable');
      await page.send('Emulation.setDeviceMetricsOverride', {
        width: options.width,
        height: options.height,
        deviceScaleFactor: 1,
        mobile: false,
      });
    } catch (error) {
      await page.close();
      throw error;
    }
    return page;
  }

  async goto(url: string): Promise<void> {
    const { errorText } = await this.send('Page.navigate', { url });
    if (errorText) throw new Error(`Could not open ${url}: ${errorText}`);
  }

  /** Runs a script in the page and returns its value. */
  async evaluate(expression: string): Promise<unknown> {
    const { result, exceptionDetails } = await this.send('Runtime.evaluate', { expression, returnByValue: true });
    if (exceptionDetails) throw new Error(`The page refused ${expression}: ${JSON.stringify(exceptionDetails)}`);
    return result.value;
  }

  /**
   * The page's rendered text (what a person sees, not the markup), followed by that of its frames: the Temporal UI
   * renders summaries and details as markdown inside sandboxed frames, which the page's own script cannot read.
   */
  async text(): Promise<string> {
    const { frameTree } = await this.send('Page.getFrameTree');
    const texts: string[] = [];
    const visit = async (node: FrameTreeNode) => {
      texts.push(await this.frameText(node.frame.id));
      for (const child of node.childFrames ?? []) await visit(child);
    };
    await visit(frameTree as FrameTreeNode);
    return texts.join('\n');
  }

  private async frameText(frameId: string): Promise<string> {
    try {
      const { executionContextId } = await this.send('Page.createIsolatedWorld', { frameId, worldName: 'reader' });
      const { result } = await this.send('Runtime.evaluate', {
        expression: 'document.body ? document.body.innerText : ""',
        contextId: executionContextId,
        returnByValue: true,
      });
      return String(result.value ?? '');
    } catch {
      // A frame that went away while the page re-rendered has no text to give.
      return '';
    }
  }

  /** Polls the rendered text until every expected string is in it; fails with what the page showed instead. */
  async waitForText(expected: string[], timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < deadline) {
      text = await this.text();
      if (expected.every((part) => text.includes(part))) return text;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const missing = expected.filter((part) => !text.includes(part));
    throw new Error(`The page never showed ${JSON.stringify(missing)}. It showed:\n${text}`);
  }

  async screenshot(): Promise<Buffer> {
    const { data } = await this.send('Page.captureScreenshot', { format: 'png' });
    return Buffer.from(data as string, 'base64');
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    // Chromium's helper processes can outlive the browser and still write to the profile: end the whole group first.
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // The group has already gone.
    }
    rmSync(this.profileDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }

  private send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = this.nextId++;
    const message = { id, method, params, ...(this.sessionId ? { sessionId: this.sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.child.stdio[3] as Writable).write(`${JSON.stringify(message)}\0`);
    });
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let end: number;
    while ((end = this.buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(this.buffered.slice(0, end));
      this.buffered = this.buffered.slice(end + 1);
      const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiting) continue;
      this.pending.delete(message.id);
      if (message.error) waiting.reject(new Error(`${message.error.message} (${JSON.stringify(message.error)})`));
      else waiting.resolve(message.result);
    }
  }
}
