/**
 * The API or a worker as its image runs them (`node --import tsx <entry>`), supervised (scripts/supervisor.ts) and
 * logging to `<name>.log` in `dir`: ready once the API's PORT accepts connections, or once the worker says it runs.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SupervisedProcess } from '../../scripts/supervisor';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export function productProcess(
  role: 'api' | 'worker',
  options: { name?: string; dir: string; env: Record<string, string | undefined> },
): SupervisedProcess {
  const name = options.name ?? role;
  return new SupervisedProcess({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', `${role}/main.ts`],
    cwd: projectRoot,
    env: options.env,
    logFile: join(options.dir, `${name}.log`),
    ready: role === 'api' ? { port: Number(options.env.PORT) } : { logLine: 'worker running' },
  });
}
