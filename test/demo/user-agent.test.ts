import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CookieJar, UserAgent } from '../support/user-agent.js';

/** The test user agent behaves like a browser where sign-in flows depend on it. */

describe('CookieJar', () => {
  const at = (url: string) => new URL(url);

  it('keeps cookies per host, not per port, and honours the path', () => {
    const jar = new CookieJar();
    jar.setCookie(at('http://127.0.0.1:1000/op/auth'), 'a=1; Path=/op');
    jar.setCookie(at('http://127.0.0.1:1000/op/interaction/x'), 'b=2');
    expect(jar.cookiesFor(at('http://127.0.0.1:2000/op/token')).map((c) => c.name)).toEqual(['a']);
    expect(jar.cookiesFor(at('http://127.0.0.1:1000/op/interaction/x/login')).map((c) => c.name)).toEqual(['b', 'a']);
    expect(jar.cookiesFor(at('http://127.0.0.1:1000/opx'))).toEqual([]);
    expect(jar.cookiesFor(at('http://localhost:1000/op/auth'))).toEqual([]);
  });

  it('expires cookies by Max-Age and Expires, and deletes with Max-Age=0', () => {
    const jar = new CookieJar();
    const url = at('http://localhost/');
    jar.setCookie(url, 'short=1; Max-Age=10', 0);
    jar.setCookie(url, 'dated=1; Expires=Thu, 01 Jan 1970 00:00:20 GMT', 0);
    expect(jar.cookiesFor(url, undefined, 5_000).map((c) => c.name).sort()).toEqual(['dated', 'short']);
    expect(jar.cookiesFor(url, undefined, 15_000).map((c) => c.name)).toEqual(['dated']);
    jar.setCookie(url, 'dated=; Max-Age=0', 16_000);
    expect(jar.cookiesFor(url, undefined, 16_000)).toEqual([]);
  });

  it('applies Domain, Secure and the cookie prefixes as browsers do', () => {
    const jar = new CookieJar();
    expect(jar.setCookie(at('http://a.example.com/'), 'd=1; Domain=example.com')).toMatchObject({ hostOnly: false });
    expect(jar.cookiesFor(at('http://b.example.com/')).map((c) => c.name)).toEqual(['d']);
    expect(typeof jar.setCookie(at('http://a.example.com/'), 'x=1; Domain=other.com')).toBe('string');
    expect(typeof jar.setCookie(at('http://a.example.com/'), 's=1; Secure')).toBe('string');
    expect(jar.setCookie(at('http://localhost/'), 's=1; Secure')).toMatchObject({ secure: true });
    expect(typeof jar.setCookie(at('https://a.example.com/'), 'n=1; SameSite=None')).toBe('string');
    expect(typeof jar.setCookie(at('https://a.example.com/'), '__Host-h=1; Secure; Path=/x')).toBe('string');
    expect(jar.setCookie(at('https://a.example.com/'), '__Host-h=1; Secure; Path=/')).toMatchObject({ name: '__Host-h' });
  });

  it('withholds Lax cookies from cross-site POSTs and Strict ones from any cross-site request', () => {
    const jar = new CookieJar();
    const url = at('http://localhost/');
    jar.setCookie(url, 'lax=1; SameSite=Lax');
    jar.setCookie(url, 'default=1');
    jar.setCookie(url, 'strict=1; SameSite=Strict');
    const names = (sameSite: boolean, safeTopLevel: boolean) => jar.cookiesFor(url, { sameSite, safeTopLevel }).map((c) => c.name).sort();
    expect(names(true, false)).toEqual(['default', 'lax', 'strict']);
    expect(names(false, true)).toEqual(['default', 'lax']);
    expect(names(false, false)).toEqual([]);
  });
});

describe('UserAgent', () => {
  let server: http.Server;
  let base: string;
  const seen: { method: string; url: string; cookie?: string; origin?: string; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen.push({ method: req.method!, url: req.url!, cookie: req.headers.cookie, origin: req.headers.origin, body });
      const url = new URL(req.url!, 'http://x');
      switch (url.pathname) {
        case '/set':
          res.writeHead(303, { Location: '/page', 'Set-Cookie': ['sid=abc; Path=/; HttpOnly; SameSite=Lax', 'sid.sig=xyz; Path=/; HttpOnly; SameSite=Lax'] }).end();
          return;
        case '/page':
          res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Page</title>
<form id="f" method="post" action="/echo"><input type="hidden" name="h" value="a&amp;b"><input name="t" value="typed">
<input type="checkbox" name="c1" value="on1" checked><input type="checkbox" name="c2"><select name="s"><option value="1">one</option><option value="2" selected>two</option></select>
<textarea name="ta">text</textarea><input name="off" disabled value="x"><button name="go" value="yes">Go</button><button type="button">No</button></form>
<form method="get" action="/echo?old=1"><input name="q" value="v"><input type="submit" value="Search"></form>`);
          return;
        case '/temporary':
          res.writeHead(307, { Location: '/echo' }).end();
          return;
        case '/see-other':
          res.writeHead(303, { Location: 'http://127.0.0.1:1/never' }).end();
          return;
        default:
          res.writeHead(200, { 'content-type': 'text/html' }).end(`<p id="m">${req.method} ${body}</p>`);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('follows redirects by hand, records every hop and keeps the cookies, .sig ones included', async () => {
    const ua = new UserAgent();
    const page = await ua.get(`${base}/set`);
    expect(page.url).toBe(`${base}/page`);
    expect(page.hops.map((h) => [h.method, new URL(h.url).pathname, h.status, h.location])).toEqual([
      ['GET', '/set', 303, `${base}/page`],
      ['GET', '/page', 200, undefined],
    ]);
    expect(page.hops[1]!.sentCookies).toEqual(['sid', 'sid.sig']);
    expect(ua.history).toHaveLength(2);
  });

  it('reads a form as a browser submits it', async () => {
    const page = await new UserAgent().get(`${base}/page`);
    const form = page.form('#f');
    expect(form).toEqual({
      id: 'f',
      action: `${base}/echo`,
      method: 'POST',
      fields: [['h', 'a&b'], ['t', 'typed'], ['c1', 'on1'], ['s', '2'], ['ta', 'text']],
      buttons: [{ name: 'go', value: 'yes', text: 'Go' }],
    });
    const posted = await new UserAgent().submit(page, { fields: { t: 'changed', extra: '1' }, button: 'Go' });
    expect(posted.$('#m').text()).toBe('POST h=a%26b&t=changed&c1=on1&s=2&ta=text&extra=1&go=yes');
    expect(seen.at(-1)!.origin).toBe(base);

    const searched = await new UserAgent().submit(page, { form: 1 });
    expect(new URL(searched.url).search).toBe('?q=v');
  });

  it('keeps the method and body on 307 and turns a POST into a GET on 303', async () => {
    const ua = new UserAgent({ stopAt: (u) => u.port === '1' });
    const kept = await ua.post(`${base}/temporary`, { a: '1' });
    expect(kept.$('#m').text()).toBe('POST a=1');
    const stopped = await ua.post(`${base}/see-other`, { a: '1' });
    expect(stopped.stopped).toEqual({ method: 'GET', url: 'http://127.0.0.1:1/never' });
    expect(stopped.status).toBe(0);
  });

  it('sends Lax cookies on a cross-site top-level GET but not on a cross-site POST', async () => {
    const ua = new UserAgent();
    await ua.get(`${base}/set`);
    const crossSite = 'http://elsewhere.example/page';
    await ua.get(`${base}/echo`, { initiator: crossSite });
    expect(seen.at(-1)!.cookie).toBe('sid=abc; sid.sig=xyz');
    await ua.post(`${base}/echo`, { a: '1' }, { initiator: crossSite });
    expect(seen.at(-1)!.cookie).toBeUndefined();
    expect(seen.at(-1)!.origin).toBe('http://elsewhere.example');
  });
});
