// The web UI's journeys in Chromium, as two friends meet them: alice signs in at the dev IdP,
// makes a group and an invite link; bob opens the link in his own browser, signs in and joins;
// both mark likes and vetoes and see the recommendation; alice revokes a link and signs out.
// Every page passes axe (no serious or critical finding), loads nothing from another origin and
// reports no CSP violation; a screenshot of each step is attached to the report.
import type { Page, TestInfo } from '@playwright/test';
import { expectAccessible } from './axe.ts';
import { cutOffOtherOrigins, expect, type PageProblems, test, watchPage } from './fixtures.ts';

async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await testInfo.attach(name, {
    body: await page.screenshot({ fullPage: true }),
    contentType: 'image/png',
  });
}

/** On the dev IdP's sign-in page: signs in as `user` (the password is the user name). */
async function signInAtIdp(page: Page, user: string): Promise<void> {
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(user);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Console errors of the app's own pages (the dev IdP has no favicon, for one). */
function watchApp(page: Page, appUrl: string): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location().url || page.url();
    if (where.startsWith(appUrl)) errors.push(`${where}: ${message.text()}`);
  });
  return errors;
}

function expectClean(problems: PageProblems, aborted: string[]): void {
  expect(aborted, 'requests to other origins').toEqual([]);
  expect(problems.cspViolations, 'CSP violations').toEqual([]);
}

test('two friends: sign in, group, invite link, join, vote, recommendation, revoke, sign out', async ({
  browser,
  appUrl,
  idpUrl,
  newUserContext,
}, testInfo) => {
  const aliceContext = await newUserContext(browser);
  const bobContext = await newUserContext(browser);
  const abortedA = await cutOffOtherOrigins(aliceContext, [appUrl, idpUrl]);
  const abortedB = await cutOffOtherOrigins(bobContext, [appUrl, idpUrl]);
  const alice = await aliceContext.newPage();
  const bob = await bobContext.newPage();
  const problemsA = watchPage(alice);
  const problemsB = watchPage(bob);
  const appErrorsA = watchApp(alice, appUrl);
  const appErrorsB = watchApp(bob, appUrl);

  // The landing page links the app and the API reference.
  await alice.goto('/');
  await expect(alice.getByRole('heading', { name: 'Where should we eat?' })).toBeVisible();
  await expect(alice.getByRole('link', { name: 'API reference' })).toHaveAttribute('href', '/docs');
  await expectAccessible(alice, testInfo, { name: 'axe landing' });
  await snap(alice, testInfo, '01 landing');

  // Sign-in: the app sends alice to the IdP and back (authorization code + PKCE).
  await alice.getByRole('link', { name: 'Open where2eat' }).click();
  await expect(alice).toHaveURL(new RegExp(`^${idpUrl}/interaction/`));
  await expectAccessible(alice, testInfo, { name: 'axe IdP sign-in' });
  await snap(alice, testInfo, '02 IdP sign-in');
  await signInAtIdp(alice, 'alice');
  await expect(alice).toHaveURL(`${appUrl}/app`);
  await expect(alice.getByText('Signed in as Alice Example')).toBeVisible();
  // The session cookie is HttpOnly, Secure, SameSite=Lax; no token reaches the browser.
  const cookies = await aliceContext.cookies(appUrl);
  const session = cookies.find((c) => c.name === '__Host-where2eat-session');
  expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
  expect(await alice.evaluate(() => document.cookie)).toBe('');
  await expectAccessible(alice, testInfo, { name: 'axe groups' });
  await snap(alice, testInfo, '03 groups');

  // A group, alice's choices, an invite link.
  await alice.getByLabel('Group name').fill('Friday lunch');
  await alice.getByRole('button', { name: 'Create group' }).click();
  await expect(alice.getByRole('heading', { name: 'Friday lunch' })).toBeVisible();
  await alice.getByLabel('Like Thai').check();
  await alice.getByLabel('Like Indian').check();
  await alice.getByLabel('Veto French').check();
  await alice.getByRole('button', { name: 'Save my choices' }).click();
  await expect(alice.getByTestId('recommendation')).toHaveText('Indian');
  await alice.getByRole('button', { name: 'Create an invite link' }).click();
  const link = await alice.getByLabel(/Invite link/).inputValue();
  expect(link).toMatch(new RegExp(`^${appUrl}/join\\?invite=[\\w-]{43}$`));
  await expectAccessible(alice, testInfo, { name: 'axe group (owner)' });
  await snap(alice, testInfo, '04 group with invite link');
  const groupUrl = alice.url();

  // bob opens the link: before he signs in, nothing of the group shows.
  await bob.goto(link);
  await expect(bob).toHaveURL(`${appUrl}/join`);
  await expect(
    bob.getByRole('heading', { name: 'You are invited to a where2eat group' }),
  ).toBeVisible();
  await expect(bob.locator('body')).not.toContainText('Friday lunch');
  await expect(bob.locator('body')).not.toContainText('Alice');
  await expectAccessible(bob, testInfo, { name: 'axe invitation' });
  await snap(bob, testInfo, '05 invitation before sign-in');
  await bob.getByRole('link', { name: 'Sign in to join' }).click();
  await signInAtIdp(bob, 'bob');
  await expect(bob).toHaveURL(`${appUrl}/join`);
  await expect(bob.locator('body')).not.toContainText('Friday lunch');
  await expect(bob.getByLabel('Your name in the group')).toHaveValue('Bob Example');
  await expectAccessible(bob, testInfo, { name: 'axe join' });
  await bob.getByRole('button', { name: 'Join group' }).click();
  await expect(bob).toHaveURL(groupUrl);
  await expect(bob.getByRole('heading', { name: 'Friday lunch' })).toBeVisible();
  await expect(bob.getByRole('cell', { name: 'Alice Example (owner)' })).toBeVisible();
  // A member sees no invite management.
  await expect(bob.getByRole('button', { name: 'Create an invite link' })).toHaveCount(0);

  // bob votes; both see the recommendation move.
  await bob.getByLabel('Like Thai').check();
  await bob.getByLabel('Veto Indian').check();
  await bob.getByRole('button', { name: 'Save my choices' }).click();
  await expect(bob.getByTestId('recommendation')).toHaveText('Thai');
  await expectAccessible(bob, testInfo, { name: 'axe group (member)' });
  await snap(bob, testInfo, '06 group as bob');
  await alice.goto(groupUrl);
  await expect(alice.getByTestId('recommendation')).toHaveText('Thai');
  await expect(alice.getByRole('cell', { name: 'Bob Example' })).toBeVisible();
  // The link was shown once: the page after it no longer carries it.
  await expect(alice.getByLabel(/Invite link/)).toHaveCount(0);
  await snap(alice, testInfo, '07 group as alice');

  expect([...appErrorsA, ...appErrorsB], "console errors on the app's pages").toEqual([]);

  // alice revokes the link: it no longer admits anyone.
  await alice.getByRole('button', { name: /Revoke the invite link/ }).click();
  await expect(alice.getByRole('status')).toHaveText('Invite link revoked: it no longer works.');
  await bob.goto(link);
  await bob.getByRole('button', { name: 'Join group' }).click();
  await expect(bob.getByRole('heading', { name: 'Invite not valid' })).toBeVisible();
  await snap(bob, testInfo, '08 revoked link');

  // Sign-out ends alice's session: the cookie is gone, and the old one would sign no one in.
  await alice.getByRole('button', { name: 'Sign out' }).click();
  await expect(alice).toHaveURL(`${appUrl}/`);
  await expect(alice.getByRole('link', { name: 'Sign in' })).toBeVisible();
  expect((await aliceContext.cookies(appUrl)).map((c) => c.name)).not.toContain(
    '__Host-where2eat-session',
  );
  const replay = await fetch(`${appUrl}/app`, {
    headers: { Cookie: `__Host-where2eat-session=${session?.value}` },
    redirect: 'manual',
  });
  expect(replay.status).toBe(303);
  expect(replay.headers.get('location')).toContain('/auth/login');
  await snap(alice, testInfo, '09 signed out');

  expectClean(problemsA, abortedA);
  expectClean(problemsB, abortedB);
  // The one error since: Chromium logs the revoked link's 404 page as a failed load.
  expect(appErrorsA, "console errors on alice's pages").toEqual([]);
  expect(appErrorsB).toEqual([expect.stringMatching(/\/join: .*status of 404/)]);
});

test('an invite link does not cross tenants, and shows nothing to the outsider', async ({
  browser,
  appUrl,
  idpUrl,
  newUserContext,
}, testInfo) => {
  const aliceContext = await newUserContext(browser);
  const carolContext = await newUserContext(browser);
  const alice = await aliceContext.newPage();
  const carol = await carolContext.newPage();
  const aborted = await cutOffOtherOrigins(carolContext, [appUrl, idpUrl]);

  await alice.goto('/app');
  await signInAtIdp(alice, 'alice');
  await alice.getByLabel('Group name').fill('Acme only');
  await alice.getByRole('button', { name: 'Create group' }).click();
  await alice.getByRole('button', { name: 'Create an invite link' }).click();
  const link = await alice.getByLabel(/Invite link/).inputValue();

  // carol is in another tenant (globex).
  await carol.goto(link);
  await carol.getByRole('link', { name: 'Sign in to join' }).click();
  await signInAtIdp(carol, 'carol');
  await carol.getByRole('button', { name: 'Join group' }).click();
  await expect(carol.getByRole('heading', { name: 'Invite not valid' })).toBeVisible();
  await expect(carol.locator('body')).not.toContainText('Acme only');
  await carol.goto(alice.url());
  await expect(carol.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await expectAccessible(carol, testInfo, { name: 'axe not found' });
  await snap(carol, testInfo, 'outsider');
  expect(aborted).toEqual([]);
});
