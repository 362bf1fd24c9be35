// Accessibility check for any page of the suite: axe-core's WCAG 2.x A/AA rules (and its best
// practices), failing on serious and critical findings; the full results are attached to the
// report either way.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, type TestInfo } from '@playwright/test';

export interface AxeCheckOptions {
  /** Check only these parts of the page (CSS selectors). Default: the whole page. */
  include?: string[];
  /** Leave these parts out, e.g. a third-party widget (CSS selectors). */
  exclude?: string[];
  /** Rule ids to switch off, each with its reason in the calling spec. */
  disableRules?: string[];
  /** The attachment's name. Default: `axe <page path>`. */
  name?: string;
}

/** The impacts that fail a test; minor and moderate findings are in the attachment only. */
export const FAILING_IMPACTS: ReadonlySet<string> = new Set(['serious', 'critical']);

/**
 * Runs axe on `page` as it is now and fails when it finds a serious or critical violation,
 * naming each rule with the elements it flagged. Returns the results for further assertions.
 */
export async function expectAccessible(
  page: Page,
  testInfo: TestInfo,
  options: AxeCheckOptions = {},
): Promise<Awaited<ReturnType<AxeBuilder['analyze']>>> {
  let builder = new AxeBuilder({ page }).withTags([
    'wcag2a',
    'wcag2aa',
    'wcag21a',
    'wcag21aa',
    'wcag22aa',
    'best-practice',
  ]);
  for (const selector of options.include ?? []) builder = builder.include(selector);
  for (const selector of options.exclude ?? []) builder = builder.exclude(selector);
  if (options.disableRules?.length) builder = builder.disableRules(options.disableRules);
  const results = await builder.analyze();
  await testInfo.attach(options.name ?? `axe ${new URL(page.url()).pathname}`, {
    body: JSON.stringify(results, null, 2),
    contentType: 'application/json',
  });
  const failing = results.violations
    .filter((v) => FAILING_IMPACTS.has(v.impact ?? ''))
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
    );
  expect(failing, `axe: serious or critical violations on ${page.url()}`).toEqual([]);
  return results;
}
