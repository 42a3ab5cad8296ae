import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { alice, startHarness, type Harness } from '../support/login-harness.js';

/**
 * The auto-post page in a real browser (Chromium), under the page's own Content-Security-Policy:
 * the nonce'd script submits the form to the ACS (here a small recording server on loopback),
 * the hostile RelayState arrives byte for byte and never runs, and no CSP violation is reported.
 * With JavaScript off, the Continue button does the same.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOSTILE_RELAY_STATE = `"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;&lt;\`\${alert(3)}\` Ångström 😀`;

interface Received {
  SAMLResponse?: string;
  RelayState?: string;
  contentType?: string;
}

describe('the auto-post page in Chromium', () => {
  let acs: http.Server;
  let acsUrl: string;
  let received: Received[] = [];
  let arrived: (() => void) | undefined;
  let harness: Harness;
  let browser: Browser;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
    acs = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.method === 'POST') {
          const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
          received.push({ SAMLResponse: form.get('SAMLResponse') ?? undefined, RelayState: form.get('RelayState') ?? undefined, contentType: req.headers['content-type'] });
          arrived?.();
        }
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>ACS</title><p>received</p>');
      });
    });
    await new Promise<void>((resolve) => acs.listen(0, '127.0.0.1', resolve));
    acsUrl = `http://127.0.0.1:${(acs.address() as AddressInfo).port}/acs`;
    harness = await startHarness({ config: (base) => ({ ...base, serviceProvider: { ...base.serviceProvider, acsUrl } }) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    if (acs?.listening) {
      acs.closeAllConnections();
      await new Promise<void>((resolve) => acs.close(() => resolve()));
    }
  });

  /**
   * Signs Alice in from the SP's AuthnRequest with the hostile RelayState; returns what the ACS
   * received, the dialogs the page tried to open, and the CSP violations Chromium reported.
   */
  async function signIn(context: BrowserContext, submit: (page: import('playwright-core').Page) => Promise<void>) {
    received = [];
    const dialogs: string[] = [];
    const violations: string[] = [];
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    const sp = await harness.serviceProvider({ callbackUrl: acsUrl });
    const got = new Promise<void>((resolve) => (arrived = resolve));
    await page.goto(await sp.getAuthorizeUrlAsync(HOSTILE_RELAY_STATE, undefined, {}));
    expect(page.url().startsWith(harness.providerUrl)).toBe(true);
    await page.fill('#email', alice.email);
    await page.fill('#password', alice.password);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(`${harness.app.baseUrl}/oidc/callback`)), page.click('button[type=submit]:has-text("Sign in")')]);
    await submit(page);
    await got;
    await page.waitForURL(acsUrl);
    const pageTitle = await page.title();
    await page.close();
    return { sp, dialogs, violations, pageTitle };
  }

  it('submits itself under its CSP and delivers the RelayState byte for byte, never run', async () => {
    const context = await browser.newContext();
    const { sp, dialogs, violations, pageTitle } = await signIn(context, async () => undefined);
    await context.close();
    expect(received).toHaveLength(1);
    expect(received[0]!.contentType).toBe('application/x-www-form-urlencoded');
    expect(received[0]!.RelayState).toBe(HOSTILE_RELAY_STATE);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: received[0]!.SAMLResponse!, RelayState: received[0]!.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
    expect(dialogs).toEqual([]);
    expect(violations).toEqual([]);
    expect(pageTitle).toBe('ACS');
  });

  it('submits with the Continue button when JavaScript is off', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const { dialogs, violations } = await signIn(context, async (page) => {
      await page.waitForSelector('form#saml-post button[type=submit]');
      expect(await page.locator('noscript').count()).toBe(1);
      await page.click('form#saml-post button[type=submit]');
    });
    await context.close();
    expect(received).toHaveLength(1);
    expect(received[0]!.RelayState).toBe(HOSTILE_RELAY_STATE);
    expect(received[0]!.SAMLResponse).toBeTruthy();
    expect(dialogs).toEqual([]);
    expect(violations).toEqual([]);
  });
});
