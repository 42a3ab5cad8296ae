import { describe, expect, it } from '@jest/globals';
import * as cheerio from 'cheerio';
import { renderDemoHome } from '../../dev/demo/demo-home.js';
import { demoUsers } from '../../dev/demo/demo-provider.js';

describe('renderDemoHome', () => {
  it('links to the demo SP, the provider and the admin page, and lists the accounts', () => {
    const page = renderDemoHome({
      spUrl: 'http://localhost:8080/demo-sp/',
      providerUrl: 'http://localhost:8080/demo-op',
      adminUrl: 'http://localhost:8080/admin',
      users: demoUsers,
    });
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    expect(page.headers['Content-Security-Policy']).toContain("script-src 'none'");
    const $ = cheerio.load(page.body);
    expect($('a#start').attr('href')).toBe('http://localhost:8080/demo-sp/');
    expect($('a#start').text()).toBe('Start a demo login');
    const links = $('a').toArray().map((a) => $(a).attr('href'));
    expect(links).toEqual(expect.arrayContaining(['http://localhost:8080/demo-op/', 'http://localhost:8080/admin', 'http://localhost:8080/demo-op/session/end']));
    for (const u of demoUsers) {
      expect($('body').text()).toContain(u.email);
      expect($('body').text()).toContain(u.password);
    }
  });

  it('escapes everything it is given', () => {
    const page = renderDemoHome({
      spUrl: 'http://localhost/"><script>x</script>',
      providerUrl: 'http://localhost/op',
      users: [{ email: '<b>@example.com', password: '"pw"', email_verified: true, name: "O'Brien & <Co>" }],
    });
    expect(page.body).not.toContain('<script>x');
    expect(page.body).not.toContain('<b>@');
    expect(cheerio.load(page.body)('body').text()).toContain("O'Brien & <Co>");
  });
});
