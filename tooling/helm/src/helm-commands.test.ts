// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub expressions and shell variables as written in workflows
import { describe, expect, it } from 'vitest';
import { markdownHelmCommands, workflowHelmCommands } from './helm-commands.ts';
import { REPO_ROOT } from './test-support/repo.ts';

const options = { root: REPO_ROOT, matrixFallback: ['alpha', 'beta'] };

function workflow(run: string, extra = ''): string {
  return `env:\n  CHART: infra/helm/micro-app\njobs:\n  chart:\n${extra}    steps:\n      - name: step\n        run: |\n${run
    .split('\n')
    .map((l) => `          ${l}`)
    .join('\n')}\n`;
}

describe('workflowHelmCommands', () => {
  it('reads -f, --set and --set-json through env, quotes and continuation lines', () => {
    const found = workflowHelmCommands(
      'w.yml',
      workflow(
        `helm template r "$CHART" -f "\${CHART}/values-production.yaml" \\\n  --set a=1 --set-json 'b=[{"c":1}]' -n ns > out.yaml`,
      ),
      options,
    );
    expect(found.unresolved).toEqual([]);
    expect(found.commands).toMatchObject([
      {
        subcommand: 'template',
        release: 'r',
        chart: 'infra/helm/micro-app',
        valuesFiles: ['infra/helm/micro-app/values-production.yaml'],
        set: ['a=1'],
        setJson: ['b=[{"c":1}]'],
        expect: 'pass',
      },
    ]);
  });

  it('expands a for loop and marks `if helm …; then exit 1` as expected to fail', () => {
    const found = workflowHelmCommands(
      'w.yml',
      workflow(
        'for bad in x=1 y=2; do\n  if helm template r "$CHART" --set "$bad" >/dev/null 2>&1; then\n    echo bad; exit 1\n  fi\ndone',
      ),
      options,
    );
    expect(found.commands.map((c) => [c.set, c.expect])).toEqual([
      [['x=1'], 'fail'],
      [['y=2'], 'fail'],
    ]);
  });

  it('expands ${{ matrix.x }} to the literal matrix, else to the fallback', () => {
    const run = 'helm lint "$CHART" -f infra/helm/values/${{ matrix.app }}.yaml';
    const listed = workflowHelmCommands(
      'w.yml',
      workflow(run, '    strategy:\n      matrix:\n        app: [one]\n'),
      options,
    );
    expect(listed.commands.map((c) => c.valuesFiles)).toEqual([['infra/helm/values/one.yaml']]);
    const computed = workflowHelmCommands(
      'w.yml',
      workflow(
        run,
        '    strategy:\n      matrix:\n        app: ${{ fromJSON(needs.x.outputs.apps) }}\n',
      ),
      options,
    );
    expect(computed.commands.map((c) => c.valuesFiles)).toEqual([
      ['infra/helm/values/alpha.yaml'],
      ['infra/helm/values/beta.yaml'],
    ]);
  });

  it('reports what it cannot resolve instead of guessing', () => {
    const found = workflowHelmCommands(
      'w.yml',
      workflow('helm upgrade r "$CHART" --set image.tag="$NOPE" --set host=${{ vars.HOST }}'),
      options,
    );
    expect(found.commands).toEqual([]);
    expect(found.unresolved).toMatchObject([{ reason: '$NOPE is defined nowhere' }]);
  });

  it('skips other charts and helm commands without values', () => {
    const found = workflowHelmCommands(
      'w.yml',
      workflow('helm install x jetstack/cert-manager --set a=1\nhelm test r'),
      options,
    );
    expect(found.commands).toEqual([]);
    expect(found.unresolved).toEqual([]);
    expect(found.skipped).toHaveLength(2);
  });
});

describe('markdownHelmCommands', () => {
  it('reads fenced blocks and replaces known placeholders; an unknown one is unresolved', () => {
    const doc =
      '# Deploy\n\n```sh\nhelm upgrade --install r infra/helm/micro-app \\\n  --set image.digest=sha256:<digest>\n```\n\nAnd `helm template r infra/helm/micro-app --set x=<what>`.\n';
    const found = markdownHelmCommands('d.md', doc, { ...options, placeholders: { digest: 'ab' } });
    expect(found.commands).toMatchObject([{ origin: 'd.md:4', set: ['image.digest=sha256:ab'] }]);
    expect(found.unresolved).toMatchObject([{ reason: expect.stringContaining('<what>') }]);
  });
});
