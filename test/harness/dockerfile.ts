/**
 * Reads a Dockerfile the way Docker's parser does, as far as the image test needs it: comment lines dropped (also
 * between continuation lines), a trailing backslash joining the next line, leading `--flag` options, the exec form
 * (a JSON array) beside the shell form, and the words of ENV, WORKDIR and COPY with their quotes and `$VAR`s.
 */

export interface Instruction {
  /** FROM, ENV, COPY…, upper-cased. */
  keyword: string;
  /** Leading options such as `--mount=type=cache,target=/root/.npm` or `--chown=node:node`. */
  flags: string[];
  /** What follows the keyword and its flags, continuation lines joined. */
  rest: string;
  /** The exec form's words, when `rest` is a JSON array of strings. */
  exec?: string[];
  /** Where the instruction starts in the file (1-based). */
  line: number;
}

export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { line: number; text: string } | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const continued = /\\[ \t]*$/.test(raw);
    pending ??= { line: index + 1, text: '' };
    pending.text += continued ? raw.replace(/\\[ \t]*$/, '') : raw;
    if (!continued) {
      instructions.push(toInstruction(pending.text, pending.line));
      pending = undefined;
    }
  });
  if (pending) instructions.push(toInstruction(pending.text, pending.line));
  return instructions;
}

function toInstruction(text: string, line: number): Instruction {
  const [, keyword = '', afterKeyword = ''] = /^\s*(\S+)\s*([\s\S]*)$/.exec(text) ?? [];
  let rest = afterKeyword.trim();
  const flags: string[] = [];
  let flag: RegExpExecArray | null;
  while ((flag = /^--(\S+)\s*/.exec(rest))) {
    flags.push(flag[1]!);
    rest = rest.slice(flag[0].length);
  }
  return { keyword: keyword.toUpperCase(), flags, rest, exec: execForm(rest), line };
}

function execForm(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const words: unknown = JSON.parse(rest);
    return Array.isArray(words) && words.every((word) => typeof word === 'string') ? words : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Splits an argument list into words as Docker does for ENV, WORKDIR and COPY: whitespace separates words, quotes
 * group them and are removed, a backslash escapes the next character, and `$NAME` / `${NAME}` take the value the
 * image's environment has so far (nothing inside single quotes).
 */
export function words(text: string, env: Record<string, string>): string[] {
  const result: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
      continue;
    }
    if (char === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (char === '$') {
      const variable = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(i));
      if (!variable) {
        if (text[i + 1] === '{') throw new Error(`unsupported substitution in ${JSON.stringify(text)}`);
        word = (word ?? '') + char;
        continue;
      }
      word = (word ?? '') + (env[variable[1] ?? variable[2]!] ?? '');
      i += variable[0].length - 1;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
    } else if (/\s/.test(char)) {
      if (word !== undefined) result.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in ${JSON.stringify(text)}`);
  if (word !== undefined) result.push(word);
  return result;
}

/** ENV's variables: `ENV A=1 B="two words"`, or the older `ENV A some value`. */
export function envVariables(rest: string, env: Record<string, string>): Record<string, string> {
  const [first] = rest.split(/\s/, 1);
  if (first && !first.includes('=')) {
    return { [first]: words(rest.slice(first.length).trim(), env).join(' ') };
  }
  const variables: Record<string, string> = {};
  for (const word of words(rest, env)) {
    const equals = word.indexOf('=');
    if (equals <= 0) throw new Error(`ENV ${rest}: ${JSON.stringify(word)} is not NAME=value`);
    variables[word.slice(0, equals)] = word.slice(equals + 1);
  }
  return variables;
}
