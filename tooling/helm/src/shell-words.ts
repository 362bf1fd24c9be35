/** A piece of a shell word: literal text, a `$VAR`, or a `$(…)` command substitution. */
export type WordPart = { lit: string } | { var: string } | { cmd: string };

/** One shell word (quotes removed) as its parts. */
export type Word = WordPart[];

/** A simple command: its words, and the shell keywords and operators around it. */
export interface SimpleCommand {
  words: Word[];
  /** Keywords stripped from its front (`if`, `!`, `then`, `do`, …). */
  keywords: string[];
  /** The operator that ended it: `;`, `\n`, `&&`, `||`, `|`, `&`, or '' at the end. */
  end: string;
  /** The command's source text (continuation lines joined). */
  text: string;
}

const KEYWORDS = new Set(['if', 'then', 'elif', 'else', 'fi', 'do', 'done', 'while', 'until', '!']);

/** The literal text of a word when it has no variable or substitution in it. */
export function literal(word: Word | undefined): string | undefined {
  if (!word) return undefined;
  let out = '';
  for (const part of word) {
    if (!('lit' in part)) return undefined;
    out += part.lit;
  }
  return out;
}

/**
 * Splits a bash script into simple commands, the way bash reads its words: quotes, `\`
 * escapes and line continuations, `$VAR`/`${VAR}`, `$(…)`, comments, redirections (dropped)
 * and the operators between commands. Enough for the helm command lines of workflows and
 * docs; not a shell (no globbing, no arithmetic, no here-documents).
 */
export function splitCommands(script: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let words: Word[] = [];
  let word: Word | undefined;
  let start = 0;
  let i = 0;
  const push = (part: WordPart): void => {
    word ??= [];
    const last = word[word.length - 1];
    if ('lit' in part && last && 'lit' in last) last.lit += part.lit;
    else word.push(part);
  };
  const endWord = (): void => {
    if (word) words.push(word);
    word = undefined;
  };
  const endCommand = (end: string, at: number): void => {
    endWord();
    const keywords: string[] = [];
    while (words.length > 0 && KEYWORDS.has(literal(words[0]) ?? '')) {
      keywords.push(literal(words.shift()) ?? '');
    }
    const text = script
      .slice(start, at)
      .replace(/\\\n\s*/g, ' ')
      .trim();
    if (words.length > 0 || keywords.length > 0) commands.push({ words, keywords, end, text });
    words = [];
    start = at + end.length;
  };
  const readVar = (): void => {
    // at '$'
    const next = script[i + 1] ?? '';
    if (next === '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < script.length; j++) {
        if (script[j] === '(') depth++;
        else if (script[j] === ')' && --depth === 0) break;
      }
      push({ cmd: script.slice(i + 2, j) });
      i = j + 1;
    } else if (next === '{') {
      const close = script.indexOf('}', i);
      push({ var: script.slice(i + 2, close) });
      i = close + 1;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9?#@*$!-]/.exec(script.slice(i + 1));
      if (m) {
        push({ var: m[0] });
        i += 1 + m[0].length;
      } else {
        push({ lit: '$' });
        i++;
      }
    }
  };
  while (i < script.length) {
    const c = script[i] as string;
    if (c === '\\' && script[i + 1] === '\n') {
      i += 2;
    } else if (c === '\\') {
      push({ lit: script[i + 1] ?? '' });
      i += 2;
    } else if (c === "'") {
      const close = script.indexOf("'", i + 1);
      push({ lit: script.slice(i + 1, close) });
      i = close + 1;
    } else if (c === '"') {
      i++;
      push({ lit: '' });
      while (i < script.length && script[i] !== '"') {
        const d = script[i] as string;
        if (d === '\\' && /["\\$`\n]/.test(script[i + 1] ?? '')) {
          if (script[i + 1] !== '\n') push({ lit: script[i + 1] as string });
          i += 2;
        } else if (d === '$') readVar();
        else {
          push({ lit: d });
          i++;
        }
      }
      i++;
    } else if (c === '$') {
      readVar();
    } else if (c === '#' && !word) {
      while (i < script.length && script[i] !== '\n') i++;
    } else if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (/^[0-9]?[<>]/.test(script.slice(i, i + 2)) && (c === '<' || c === '>' || !word)) {
      // A redirection: drop it and its target.
      endWord();
      const m = /^[0-9]*(?:>>|>&|<&|&>|>|<)\s*(?:&?[0-9-]+|"[^"]*"|'[^']*'|[^\s;&|]+)?/.exec(
        script.slice(i),
      );
      i += m ? m[0].length : 1;
    } else if (c === '\n' || c === ';') {
      endCommand(c, i);
      i++;
    } else if (c === '&' || c === '|') {
      const op = script[i + 1] === c ? c + c : c;
      endCommand(op, i);
      i += op.length;
    } else {
      push({ lit: c });
      i++;
    }
  }
  endCommand('', script.length);
  return commands;
}
