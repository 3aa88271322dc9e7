/** The README's typed-client sample compiles against the generated types, so that it cannot drift from the API either. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The TypeScript blocks of the README's "A typed client" section. */
function typedClientSamples(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('A typed client\n')) ?? '';
  return [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/** The compiler's errors for `code` as a module at the project's root, under the project's tsconfig.json. */
function typeErrors(code: string): string[] {
  const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  const path = join(root, 'readme-sample.ts');
  const host = ts.createCompilerHost(options);
  const readSource = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, ...rest) =>
    file === path ? ts.createSourceFile(file, code, language) : readSource(file, language, ...rest);
  const program = ts.createProgram([path], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

describe("the README's typed client", () => {
  it('compiles, and would not with a body the API refuses', () => {
    const samples = typedClientSamples();
    expect(samples).toHaveLength(1);
    const sample = samples[0]!;
    expect(typeErrors(sample)).toEqual([]);

    const nameless = sample.replace("customer_email: 'sara@example.com', ", '');
    expect(nameless).not.toBe(sample);
    expect(typeErrors(nameless).join('\n')).toContain("Type '{ redemption_option_id: number; }' is not assignable");
  });
});
