import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every relative link in the documentation resolves: the target file (or folder) exists, and a
// `#fragment` into a Markdown file names one of its headings (GitHub's anchor rules).

const repoRoot = resolve(import.meta.dirname, '../../..');

function markdownUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return markdownUnder(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

function documentationFiles(): string[] {
  const appDocs = readdirSync(join(repoRoot, 'apps'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => markdownUnder(join(repoRoot, 'apps', entry.name, 'docs')));
  return [join(repoRoot, 'README.md'), ...markdownUnder(join(repoRoot, 'docs')), ...appDocs];
}

/** Markdown without fenced code blocks and inline code, where links are not links. */
function prose(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/(`+)[^`]*?\1/g, (code) => ' '.repeat(code.length));
}

/** Link targets: inline `[text](target "title")`, images, and reference definitions. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = text.matchAll(/!?\[[^\]]*\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)/g);
  const references = text.matchAll(
    /^\s{0,3}\[[^\]]+\]:\s*(?:<([^>]+)>|(\S+))(?:\s+"[^"]*")?\s*$/gm,
  );
  return [...inline, ...references].map((match) => match[1] ?? match[2] ?? '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, -1 for repeats. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = (match[1] ?? '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Problems with one file's relative links; empty when all resolve. */
function brokenLinks(file: string): string[] {
  const markdown = readFileSync(file, 'utf8');
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // external
    const [pathPart = '', fragment] = target.split('#', 2);
    const path = decodeURIComponent(pathPart);
    const resolved = path === '' ? file : resolve(dirname(file), path);
    if (!resolved.startsWith(repoRoot)) {
      problems.push(`${target}: points outside the repository`);
      continue;
    }
    if (!existsSync(resolved)) {
      problems.push(`${target}: ${relative(repoRoot, resolved)} does not exist`);
      continue;
    }
    if (fragment && resolved.endsWith('.md') && statSync(resolved).isFile()) {
      const anchors = headingAnchors(readFileSync(resolved, 'utf8'));
      if (!anchors.has(fragment)) {
        problems.push(`${target}: no heading #${fragment} in ${relative(repoRoot, resolved)}`);
      }
    }
  }
  return problems;
}

describe('relative links in the documentation', () => {
  const files = documentationFiles();

  it('finds the documentation', () => {
    const names = files.map((file) => relative(repoRoot, file));
    expect(names).toContain('README.md');
    expect(names).toContain(join('docs', 'deploy.md'));
    expect(names.length).toBeGreaterThan(5);
  });

  it.each(files.map((file) => [relative(repoRoot, file), file]))('%s', (_name, file) => {
    expect(brokenLinks(file)).toEqual([]);
  });
});

describe('the link checker', () => {
  it('reads inline links, images and references, but not code', () => {
    const markdown = [
      'See [a](a.md), ![b](img/b.png "B") and [c](<c d.md#part>).',
      '[ref]: ./e.md',
      '`[not](code.md)`',
      '```sh',
      '[not](fenced.md)',
      '```',
    ].join('\n');
    expect(linkTargets(markdown)).toEqual(['a.md', 'img/b.png', 'c d.md#part', './e.md']);
  });

  it('computes GitHub heading anchors', () => {
    const anchors = headingAnchors(
      '# Deploying: from a fork\n## 3. Secrets\n### Standard `OTEL_*` variables\n## Notes\n## Notes\n',
    );
    expect([...anchors]).toEqual([
      'deploying-from-a-fork',
      '3-secrets',
      'standard-otel_-variables',
      'notes',
      'notes-1',
    ]);
  });
});
