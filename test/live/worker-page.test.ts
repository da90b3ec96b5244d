/** The grid-worker page in headless Chromium: login, live tiles with frames, refusal, enlarge, report. */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CommandChannel } from '../../edge-agent/command-channel.ts';
import { CHROMIUM, describeWithPeer } from '../support/peers.ts';
import { USERS } from '../support/tiny-county.ts';
import { startAgentChannel, startLiveEnv, until, type LiveEnv } from './live-env.ts';

describeWithPeer('chromium', 'grid-worker page (/worker) in headless Chromium', () => {
  let env: LiveEnv;
  let agent: CommandChannel;
  let browser: Browser;
  beforeAll(async () => {
    env = await startLiveEnv('127.43', { intervalMs: 300, graceMs: 300 });
    agent = startAgentChannel(env, 'a');
    await until(() => agent.connected, 5000, 'agent connected');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await env?.close();
  });

  it('a worker logs in, sees the cameras of their grid live, is refused c06, and can enlarge and report', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      const res = await page.goto(`${env.hubUrl}/worker`);
      expect(res?.status()).toBe(200);
      expect(await page.title()).toContain('网格员');
      await page.fill('#user', USERS.worker.username);
      await page.fill('#pass', USERS.worker.password);
      await page.click('button[type=submit]');
      // the worker's grid ga1: c01..c03, each tile receiving frames
      await page.waitForSelector('.tile[data-camera="c03"]', { timeout: 10_000 });
      expect(await page.$$eval('.tile', (ts) => ts.map((t) => (t as HTMLElement).dataset.camera))).toEqual(['c01', 'c02', 'c03']);
      await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('.tile')].every((t) => Number(t.dataset.frames) >= 2 && t.dataset.live === 'live'), undefined, {
        timeout: 10_000,
      });
      const size = await page.$eval('.tile[data-camera="c01"] img', (img) => [(img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight]);
      expect(size).toEqual([320, 180]);
      expect(await page.textContent('.tile[data-camera="c01"] .live')).toBe('实时');
      // a camera outside the worker's grid is refused, and the page says so
      await page.fill('#code', 'c06');
      await page.click('#add');
      await page.waitForSelector('.tile[data-camera="c06"][data-live="refused"]', { timeout: 5000 });
      expect(await page.textContent('.tile[data-camera="c06"] .live')).toBe('无权查看');
      expect(await page.getAttribute('.tile[data-camera="c06"] .live', 'title')).toMatch(/not in your scope/);
      expect(await page.getAttribute('.tile[data-camera="c06"]', 'data-frames')).toBe('0');
      // tap to enlarge; report a fault: it opens a ticket from the field (source: worker)
      await page.click('.tile[data-camera="c02"]');
      await page.waitForSelector('#big.open');
      await page.waitForFunction(() => (document.querySelector('#big img') as HTMLImageElement).naturalWidth === 320);
      page.once('dialog', (d) => void d.accept('镜头被遮挡'));
      const reported = page.waitForResponse((r) => r.url().endsWith('/api/tickets/report'));
      await page.click('#report');
      const r = await reported;
      expect(r.status(), await r.text()).toBe(200);
      expect(r.request().postDataJSON()).toEqual({ camera: 'c02', comment: '镜头被遮挡' });
      await page.waitForFunction(() => document.querySelector('#msg')!.textContent!.includes('已上报，工单已创建'));
      const tickets = await env.t.hub.app.inject({ method: 'GET', url: '/api/tickets?camera=c02', headers: { authorization: `Bearer ${env.tokens.admin}` } });
      expect(tickets.json().items).toMatchObject([{ source: 'worker', cameras: [{ code: 'c02' }] }]);
      await page.click('#closeBig');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
