// The API reference at /docs renders in Chromium with the network cut off but for the app's own
// origin: Scalar's bundle and everything it needs come from the app, under the page's CSP.
import { cutOffOtherOrigins, expect, test, watchPage } from './fixtures.ts';

interface OpenApiDocument {
  tags?: Array<{ name: string }>;
  paths: Record<
    string,
    Record<string, { operationId?: string; summary?: string; tags?: string[] }>
  >;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('the API reference lists every operation, loading nothing from elsewhere', async ({
  page,
  context,
  appUrl,
  request,
}, testInfo) => {
  const aborted = await cutOffOtherOrigins(context, [appUrl]);
  const problems = watchPage(page);

  const doc = (await (await request.get('/openapi.json')).json()) as OpenApiDocument;
  const operations = Object.values(doc.paths).flatMap((ops) => Object.values(ops));
  expect(operations.length).toBeGreaterThan(5);

  const response = await page.goto('/docs');
  expect(response?.status()).toBe(200);
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self';");
  expect(csp).not.toMatch(/https?:/);

  const sidebar = page.getByRole('complementary');
  await expect(page.getByRole('heading', { level: 1, name: 'where2eat' })).toBeVisible();

  // Scalar opens the first tag; open the others, then every operation is in the sidebar.
  const tags = [...new Set(operations.flatMap((op) => op.tags ?? []))];
  expect(tags).toEqual(expect.arrayContaining(['groups', 'invites']));
  for (const tag of tags) {
    const open = sidebar.getByRole('button', { name: `Open Group - ${tag}`, exact: true });
    if (await open.isVisible()) await open.click();
  }
  for (const op of operations) {
    await expect(
      sidebar.getByRole('link', { name: new RegExp(`^${escapeRegExp(op.summary ?? '')}`) }),
      `${op.operationId} in the sidebar`,
    ).toBeVisible();
  }

  // An operation's section renders when it is picked.
  const create = 'Create a group; the caller becomes its owner';
  await sidebar.getByRole('link', { name: new RegExp(`^${escapeRegExp(create)}`) }).click();
  await expect(page.getByRole('heading', { level: 3, name: create })).toBeVisible();

  await testInfo.attach('docs', {
    body: await page.screenshot({ fullPage: false }),
    contentType: 'image/png',
  });
  expect(aborted, 'requests to other origins').toEqual([]);
  expect(problems.cspViolations, 'CSP violations').toEqual([]);
  expect(problems.errors, 'console errors').toEqual([]);
});

test("the reference's scripts are served from the app with caching headers", async ({
  request,
}) => {
  const html = await (await request.get('/docs')).text();
  const src = /<script src="(\/docs\/scalar\.js\?v=[^"]+)"><\/script>/.exec(html)?.[1];
  expect(src, 'the page loads Scalar from /docs/scalar.js').toBeDefined();
  expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/);

  const script = await request.get(src as string);
  expect(script.status()).toBe(200);
  expect(script.headers()['content-type']).toBe('text/javascript; charset=utf-8');
  expect(script.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  const etag = script.headers().etag as string;
  expect(etag).toMatch(/^"[\w-]+"$/);
  const again = await request.get('/docs/scalar.js', { headers: { 'If-None-Match': etag } });
  expect(again.status()).toBe(304);
});
