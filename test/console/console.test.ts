/**
 * The web console at /ui, end to end in headless Chromium: vsnap with its real engine, the
 * Kubernetes API test server and s3rver, driven through the page as a person would. The API's
 * own engine only enqueues; a separate worker (as with VSNAP_ROLES=worker) takes snapshots once
 * a test starts it, so a Scheduled snapshot stays Scheduled until then.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type Engine } from '../../src/jobs/engine.ts';
import { createProcessMetrics } from '../../src/metrics.ts';
import { rigOf, rigStorage, E2E_PROJECT, BUCKET, type EngineRig } from '../engine/harness.ts';
import { EngineSnapshotDocument } from '../generated/graphql.ts';
import { startKubeServer } from '../kube/server.ts';
import { signToken } from '../../src/auth/tokens.ts';
import { startTestApp, TEST_JWT_SECRET, testEngineConfig, tokens } from '../support/app.ts';
import { buildConsole, launchBrowser, openPage, screenshot, signIn, VIEWPORTS } from '../support/browser.ts';
import { startS3Server } from '../support/s3.ts';
import { move, schedule } from '../support/snapshots.ts';

let rig: EngineRig;
let browser: Browser;
let consoleUrl: string;
let worker: Engine | undefined;
const pageErrors: string[] = [];

beforeAll(async () => {
  const built = await buildConsole();
  // The build's own figure, printed with the run: the first page's compressed size against the goal.
  console.log(built.trim());
  expect(built).toMatch(/console first page: [\d.]+ KB compressed \(gzip\)/);
  const [kube, s3] = await Promise.all([startKubeServer(), startS3Server()]);
  await s3.createBucket(BUCKET);
  kube.seedStandard();
  // Enough objects that, at 200 ms a request and 50 a page (12 pages one after another, whatever
  // else is listed meanwhile), the ConfigMaps alone take 2.4 s: progress (at most once a second) is shown twice at least.
  for (let i = 0; i < 600; i++) {
    kube.store.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `console-${i}`, namespace: 'default' }, data: { value: randomBytes(256).toString('base64') } });
  }
  const storage = rigStorage(s3);
  const app = await startTestApp({ engine: { storage }, worker: false });
  rig = await rigOf(app, kube, s3);
  rig.storage = storage;
  await rig.createLocation({ name: 'console-default', prefix: 'default', default: true });
  consoleUrl = `${app.url}/ui/`;
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop(2_000);
  await rig?.close();
}, 60_000);

/** Starts the worker that takes snapshots (once per file). */
async function startWorker(): Promise<void> {
  worker ??= await startEngine({
    orm: rig.app.orm,
    postgresUrl: rig.app.databaseUrl,
    config: testEngineConfig({ storage: rig.storage!, listPageSize: 5 }),
    logger: pino({ level: 'warn' }),
    worker: true,
    processEveryMs: 200,
    inlineBox: rig.app.inlineBox,
    metrics: createProcessMetrics(),
  });
}

async function open(viewport: { width: number; height: number } = VIEWPORTS.desktop): Promise<Page> {
  const { page } = await openPage(browser, viewport);
  page.on('pageerror', (error) => pageErrors.push(`${expect.getState().currentTestName}: ${error.message}`));
  return page;
}

/** The row of a snapshot in a cluster's table. */
const snapshotRow = (page: Page, name: string) => page.locator(`tr[data-snapshot="${name}"]`);
const statusOf = async (page: Page, name: string) => snapshotRow(page, name).locator('[data-status]').getAttribute('data-status');

describe('the console', { timeout: 90_000 }, () => {
  it('signs in with a pasted token, and a refused token returns to sign-in with the reason', async () => {
    const page = await open();
    await page.goto(consoleUrl);
    await page.getByRole('heading', { name: 'Sign in to vsnap' }).waitFor();
    await screenshot(page, '01-sign-in');

    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('Paste a token first.');
    await page.getByLabel('Bearer token').fill('not a token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('That is not a bearer token (a JWT: three parts separated by dots).');

    // Well-formed but signed with another key: vsnap answers 401, and the page says why.
    const forged = (await tokens.platformAdmin()).replace(/\.[^.]+$/, `.${randomBytes(32).toString('base64url')}`);
    await page.getByLabel('Bearer token').fill(`Bearer ${forged}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const reason = page.getByRole('alert');
    await reason.waitFor();
    expect(await reason.textContent()).toMatch(/^The server refused the token: invalid token: .+\.$/);
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
    expect(await page.evaluate(() => sessionStorage.getItem('vsnap.token'))).toBeNull();
    await screenshot(page, '02-sign-in-refused');

    await page.getByLabel('Bearer token').fill(await tokens.platformAdmin());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Virtual clusters' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/ui/');
    await page.close();
  });

  it('returns to sign-in with the reason when the token expires while a live page is open', async () => {
    const shortLived = await signToken(new TextEncoder().encode(TEST_JWT_SECRET), 'short-lived', { platformAdmin: true }, { expiresIn: '4s' });
    const page = await open();
    await signIn(page, consoleUrl, shortLived);
    // The list's live subscription is open; at the token's expiry vsnap ends it (UNAUTHENTICATED, then 4403).
    const reason = page.getByRole('alert');
    await reason.waitFor({ timeout: 20_000 });
    expect(await reason.textContent()).toMatch(/^The server refused the token: (the )?token expired\b.*\.$/);
    expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
    expect(await page.evaluate(() => sessionStorage.getItem('vsnap.token'))).toBeNull();
    await page.close();
  });

  it('lists virtual clusters by project: schedule in its time zone, next run, retention, storage location, last snapshot', async () => {
    const cluster = await rig.registerCluster({
      name: 'listed',
      policy: { enabled: true, schedule: '30 2 * * *', timeZone: 'Europe/Berlin', retention: { keepLast: 7, keepDaily: 14 } },
    });
    const scheduled = await schedule(rig.app.orm, cluster.id);
    const page = await open();
    await signIn(page, consoleUrl, rig.admin);
    const row = page.locator('tr[data-cluster="listed"]');
    await row.waitFor();
    const cells = await row.locator('th, td').allTextContents();
    expect(cells[0]).toBe('listed');
    expect(cells[1]).toBe('30 2 * * * (Europe/Berlin)');
    expect(cells[2]).not.toBe('—');
    expect(cells[3]).toBe('keeps last 7, daily 14');
    expect(cells[4]).toBe(cluster.storageLocation);
    expect(cells[5]).toBe('Scheduled');
    expect(await page.getByRole('heading', { name: `Project ${E2E_PROJECT}` }).count()).toBe(1);
    await screenshot(page, '03-clusters');
    // Live: the last snapshot's status follows its events.
    await move(rig.app.orm, scheduled.id, 'IN_PROGRESS');
    await row.locator('td.latest [data-status="IN_PROGRESS"]').waitFor();
    expect(await row.locator('td.latest').textContent()).toBe('In Progress');

    // By keyboard alone: the first Tab reaches "Skip to content"; from the content, Tab reaches the cluster's link, Enter opens it.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    const focused = () => page.evaluate(() => document.activeElement?.textContent ?? '');
    for (let tabs = 0; tabs < 30 && (await focused()) !== 'listed'; tabs++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('listed');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'listed', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/ui/clusters/${cluster.id}`);
    await page.close();
  });

  it('Snapshot now: the row goes Scheduled → In Progress (progress moving) → Completed without a reload', { timeout: 120_000 }, async () => {
    rig.kube.faults.latencyMs = 200;
    await rig.registerCluster({ name: 'live', policy: { volumeSnapshotsEnabled: true } });
    const page = await open();
    await signIn(page, consoleUrl, rig.admin);
    await page.getByRole('link', { name: 'live', exact: true }).click();
    await page.getByRole('heading', { name: 'live', exact: true }).waitFor();
    await page.getByText('No snapshots yet.').waitFor();
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    const now = page.getByRole('button', { name: 'Snapshot now' });
    await now.click();
    const scheduled = page.locator('tr[data-snapshot] [data-status="SCHEDULED"]');
    await scheduled.waitFor();
    const name = (await page.locator('tr[data-snapshot]').first().getAttribute('data-snapshot'))!;
    expect(name).toMatch(/^live-.+\.tar\.gz$/);
    expect(await now.isDisabled()).toBe(true);
    expect(await page.locator('#snapshot-now-reason').textContent()).toBe(`Disabled: ${name} is already Scheduled; a cluster has at most one Scheduled snapshot at a time.`);
    await screenshot(page, '04-cluster-scheduled');

    // Every progress value the row's bar shows, recorded in the page as it changes.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      new MutationObserver(() => {
        const bar = document.querySelector('tr[data-snapshot] progress');
        if (bar instanceof HTMLProgressElement && seen.at(-1) !== bar.value) seen.push(bar.value);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await startWorker();
    await snapshotRow(page, name).locator('[data-status="IN_PROGRESS"]').waitFor({ timeout: 30_000 });
    expect(await now.isDisabled()).toBe(false);
    await screenshot(page, '05-cluster-in-progress');
    await snapshotRow(page, name).locator('[data-status="COMPLETED"]').waitFor({ timeout: 60_000 });
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    expect(seen.length, `progress values shown: ${seen.join(', ')}`).toBeGreaterThanOrEqual(2);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(seen.at(-1)!).toBeGreaterThan(seen[0]!);

    const stored = await rig.snapshot((await rig.app.orm.em.fork().getConnection().execute<{ id: string }[]>('select id from snapshot where name = ?', [name]))[0]!.id);
    const cells = await snapshotRow(page, name).locator('th, td').allTextContents();
    expect(cells[0]).toBe(name);
    expect(cells[2]).toBe('Manual');
    expect(Number(cells[8]!.replaceAll(',', ''))).toBe(stored.objectCount);
    expect(cells[9]).toBe(`${stored.sha256!.slice(0, 12)}… Copy`);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    await screenshot(page, '06-cluster-completed');
    await page.setViewportSize(VIEWPORTS.phone);
    await screenshot(page, '06-cluster-completed-390');
    await page.close();
    rig.kube.faults.latencyMs = 0;
  });

  it("a PARTIALLY_FAILED snapshot's view page shows each volume's phase, driver, class and message, and the event timeline", { timeout: 90_000 }, async () => {
    await startWorker();
    rig.kube.faults.csi = { mode: 'ready', perPvc: { 'team-a/logs': { mode: 'fail' } } };
    try {
      const cluster = await rig.registerCluster({ name: 'partial', policy: { volumeSnapshotsEnabled: true } });
      const id = await rig.createSnapshot(cluster.id);
      const page = await open();
      await signIn(page, consoleUrl, rig.admin);
      await page.goto(`${consoleUrl}snapshots/${id}`);
      await page.locator('.headline [data-status="PARTIALLY_FAILED"]').waitFor({ timeout: 60_000 });
      const stored = await rig.snapshot(id);
      expect(stored.status).toBe('PARTIALLY_FAILED');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(stored.name);
      for (const volume of stored.volumeSnapshots) {
        const cells = await page.locator(`tr[data-pvc="${volume.namespace}/${volume.pvcName}"]`).locator('th, td').allTextContents();
        const phase = { COMPLETED: 'Completed', FAILED: 'Failed', SKIPPED: 'Skipped' }[volume.phase as string];
        expect(cells, `${volume.namespace}/${volume.pvcName}`).toEqual([`${volume.namespace}/${volume.pvcName}`, phase, volume.driver ?? '—', volume.volumeSnapshotClass ?? '—', expect.any(String), volume.message ?? '']);
      }
      const phases = new Set(await page.locator('table.volumes [data-phase]').evaluateAll((nodes) => nodes.map((node) => node.textContent)));
      expect(phases).toEqual(new Set(['Completed', 'Failed', 'Skipped']));
      expect(await page.getByRole('definition').filter({ hasText: stored.message! }).count()).toBe(1);
      const timeline = await page.locator('.timeline li').allTextContents();
      expect(timeline[0]).toContain('created Scheduled');
      expect(timeline.some((line) => line.includes('Scheduled → In Progress'))).toBe(true);
      expect(timeline.at(-1)).toContain('In Progress → Partially Failed');
      expect(timeline.some((line) => line.includes('Volume team-a/logs: ') && line.includes('→ Failed'))).toBe(true);
      await screenshot(page, '07-snapshot-view');
      const phone = await open(VIEWPORTS.phone);
      await signIn(phone, consoleUrl, rig.admin);
      await phone.goto(`${consoleUrl}snapshots/${id}`);
      await phone.locator('.headline [data-status="PARTIALLY_FAILED"]').waitFor();
      await screenshot(phone, '08-snapshot-view-390');
      await phone.close();

      // Delete: Cancel keeps it; confirming deletes it and returns to the cluster, its row gone.
      await page.getByRole('button', { name: 'Delete snapshot…' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await screenshot(page, '09-delete-confirm');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      expect((await rig.snapshot(id)).status).toBe('PARTIALLY_FAILED');
      await page.getByRole('button', { name: 'Delete snapshot…' }).click();
      await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByRole('heading', { name: 'partial', exact: true }).waitFor();
      await page.getByText('No snapshots yet.').waitFor();
      const gone = await rig.app.request(EngineSnapshotDocument, { id }, rig.admin);
      expect(gone.data?.snapshot ?? null).toBeNull();
      await page.close();
    } finally {
      rig.kube.faults.csi = { mode: 'ready' };
    }
  });

  it('edits the policy: a bad cron expression is named before saving; the next three runs are shown in the chosen time zone', async () => {
    await rig.registerCluster({ name: 'policy' });
    const page = await open();
    await signIn(page, consoleUrl, rig.admin);
    await page.getByRole('link', { name: 'policy', exact: true }).click();
    await page.getByRole('button', { name: 'Edit policy' }).click();
    await page.getByLabel('Take snapshots automatically').check();
    await page.getByLabel(/^Schedule/).fill('0 3 * *');
    expect(await page.locator('#schedule-preview').textContent()).toBe('Schedule must have five fields: minute hour day-of-month month day-of-week');
    expect(await page.getByRole('button', { name: 'Save policy' }).isDisabled()).toBe(true);
    await page.getByLabel(/^Schedule/).fill('0 3 * * 1');
    await page.getByLabel('Time zone').fill('Asia/Tokyo');
    const runs = await page.locator('#schedule-preview li').allTextContents();
    expect(runs).toHaveLength(3);
    for (const run of runs) expect(run).toMatch(/3:00\s?AM GMT\+9$/);
    await page.getByLabel('Keep last').fill('5');
    await screenshot(page, '10-policy-edit');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('button', { name: 'Edit policy' }).waitFor();
    const facts = await page.locator('.policy dl.facts dd').allTextContents();
    expect(facts[0]).toBe('0 3 * * 1 in Asia/Tokyo');
    expect(facts[2]).toBe('keeps last 5');
    await page.close();
  });

  it('a member sees the clusters and "only project admins and platform admins can see snapshots" in place of the list', async () => {
    const cluster = await rig.registerCluster({ name: 'members-view' });
    const hidden = await schedule(rig.app.orm, cluster.id);
    const page = await open();
    await signIn(page, consoleUrl, await tokens.member(E2E_PROJECT));
    const row = page.locator('tr[data-cluster="listed"]');
    await row.waitFor();
    expect(await row.locator('td.latest').textContent()).toBe('Not visible to you');
    await page.getByRole('note').first().waitFor();
    expect(await page.getByRole('note').first().textContent()).toBe('Only project admins and platform admins can see snapshots.');
    await screenshot(page, '11-member-clusters');
    await page.getByRole('link', { name: 'listed', exact: true }).click();
    const note = page.locator('[data-code="FORBIDDEN"]');
    await note.waitFor();
    expect(await note.textContent()).toBe('Only project admins and platform admins can see snapshots.');
    expect(await page.locator('tr[data-snapshot]').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Snapshot now' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Edit policy' }).count()).toBe(0);
    await screenshot(page, '12-member-cluster');
    // A snapshot's own page, by its address: the explanation again, none of its data.
    await page.goto(`${consoleUrl}snapshots/${hidden.id}`);
    const explained = page.locator('[data-code="FORBIDDEN"]');
    await explained.waitFor();
    expect(await explained.textContent()).toBe('Only project admins and platform admins can see snapshots.');
    expect(await page.getByText(hidden.name).count()).toBe(0);
    await screenshot(page, '12b-member-snapshot');
    await page.close();
  });

  it('recovers after vsnap restarts: "reconnecting" while it is down, then the events committed meanwhile, resumed by cursor', { timeout: 90_000 }, async () => {
    const cluster = await rig.registerCluster({ name: 'restart' });
    const page = await open();
    await signIn(page, consoleUrl, rig.admin);
    await page.getByRole('link', { name: 'restart', exact: true }).click();
    await page.getByText('No snapshots yet.').waitFor();
    // The page's subscription is live once an event reaches it. Scheduled ahead, out of the
    // running worker's reach (its take slots claim SCHEDULED snapshots that are due): this test moves them itself.
    const day = 86_400_000;
    const first = await schedule(rig.app.orm, cluster.id, new Date(Date.now() + day));
    await snapshotRow(page, first.name).waitFor();

    // Committed while vsnap is down: the page has never been told of them.
    let whileDown: string | undefined;
    await rig.app.restartServer(async () => {
      await page.getByText('Reconnecting to vsnap').waitFor({ timeout: 20_000 });
      await screenshot(page, '13-reconnecting');
      await move(rig.app.orm, first.id, 'IN_PROGRESS');
      await move(rig.app.orm, first.id, 'FAILED', 'failed while the console was away');
      whileDown = (await schedule(rig.app.orm, cluster.id, new Date(Date.now() + 2 * day))).name;
    });
    await snapshotRow(page, whileDown!).waitFor({ timeout: 30_000 });
    await snapshotRow(page, first.name).locator('[data-status="FAILED"]').waitFor();
    await page.getByText('Reconnecting to vsnap').waitFor({ state: 'hidden' });
    expect(await statusOf(page, whileDown!)).toBe('SCHEDULED');
    expect(await page.locator('tr[data-snapshot]').count()).toBe(2);
    await screenshot(page, '14-reconnected');
    await page.close();
  });

  it('threw nothing in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
