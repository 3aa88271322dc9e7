import { describe, expect, it } from 'vitest';
import { envVariables, parseDockerfile, words } from '../harness/dockerfile';

describe("the image test's Dockerfile reader", () => {
  it('joins continuation lines, drops comments between them, and keeps flags and the exec form apart', () => {
    const instructions = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'FROM node:20-bookworm-slim AS app',
        '',
        'run --mount=type=cache,target=/root/.npm \\',
        '  # a comment inside the instruction',
        '  npm ci \\  ',
        '  --omit=dev',
        'COPY --chown=node:node . .',
        'CMD ["node", "--import", "tsx", "api/main.ts"]',
        'CMD node api/main.ts',
      ].join('\n'),
    );
    expect(instructions.map(({ keyword, line }) => [keyword, line])).toEqual([
      ['FROM', 2],
      ['RUN', 4],
      ['COPY', 8],
      ['CMD', 9],
      ['CMD', 10],
    ]);
    expect(instructions[1]).toMatchObject({
      flags: ['mount=type=cache,target=/root/.npm'],
      rest: 'npm ci   --omit=dev',
      exec: undefined,
    });
    expect(instructions[2]).toMatchObject({ flags: ['chown=node:node'], rest: '. .' });
    expect(instructions[3]!.exec).toEqual(['node', '--import', 'tsx', 'api/main.ts']);
    expect(instructions[4]!.exec).toBeUndefined();
  });

  it('reads both forms of ENV, with quotes and the variables set before', () => {
    expect(envVariables('NODE_ENV=production APP="/srv/my app" HOME_APP=$APP/x', { APP: '/app' })).toEqual({
      NODE_ENV: 'production',
      APP: '/srv/my app',
      HOME_APP: '/app/x',
    });
    expect(envVariables('GREETING hello  "world"', {})).toEqual({ GREETING: 'hello world' });
    expect(words(`'$NOT' "\${DIR}/a b" c\\ d`, { DIR: '/app' })).toEqual(['$NOT', '/app/a b', 'c d']);
  });
});
