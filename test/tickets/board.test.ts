/** The crew board in headless Chromium: log in, a new ticket appears live (SSE), acknowledge it. */
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM, describeWithPeer } from '../support/peers.ts';
import { USERS } from '../support/tiny-county.ts';
import { SITE8, startTicketHub, takeDown, type TicketHub } from './support.ts';

describeWithPeer('chromium', 'crew board (headless Chromium)', () => {
  let h: TicketHub;
  let browser: Browser;
  let base = '';
  beforeAll(async () => {
    h = await startTicketHub('pglite');
    await h.t.hub.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.t.hub.app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('shows my town’s tickets live and lets me acknowledge one (Chinese first)', async () => {
    await h.round([...SITE8, 'c09'], null);
    await takeDown(h, ['c09']); // town tb: crew-b's
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/board`);
    expect(await page.locator('h1').textContent()).toBe('运维工单看板');
    await page.fill('#username', USERS.crewB.username);
    await page.fill('#password', USERS.crewB.password);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('[data-ticket="1"]');
    expect(await page.locator('#count').textContent()).toBe('待处理工单 1 张');
    await page.waitForSelector('#live:not(.off)');

    // a fault in town ta is not crew-b's; a new one in tb appears without reloading
    await takeDown(h, SITE8);
    h.clock.now += 30_000;
    h.svc().tick();
    await h.svc().flush();
    await takeDown(h, ['c10'], 'auth_failed');
    await page.waitForSelector('[data-ticket="3"]', { timeout: 5000 });
    expect(await page.locator('[data-ticket]').count()).toBe(2);
    expect(await page.locator('[data-ticket="3"] h2').textContent()).toContain('配置');

    await page.click('[data-ticket="3"] button.ack');
    await page.waitForSelector('[data-ticket="3"].acknowledged');
    const [row] = await h.t.hub.db.query<{ state: string; crew: string }>(`select state, crew from tickets where id = 3`);
    expect(row).toEqual({ state: 'acknowledged', crew: 'crew-b' });

    // resolve with a cause from the list: the camera is still offline → recorded, pending verification
    await page.selectOption('[data-ticket="3"] select.cause', 'configuration');
    await page.click('[data-ticket="3"] button.resolve');
    await page.waitForSelector('[data-ticket="3"] .msg');
    expect(await page.locator('[data-ticket="3"] .msg').textContent()).toContain('自动关闭');

    await page.click('#lang');
    expect(await page.locator('h1').textContent()).toBe('Crew board');
    expect(errors).toEqual([]);
    await page.close();
  });
});
