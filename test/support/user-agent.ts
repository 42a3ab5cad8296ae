import * as cheerio from 'cheerio';

/**
 * A small browser-less user agent for integration tests: a cookie jar that behaves like a
 * browser's where sign-in flows depend on it (path, expiry, host-only vs Domain, Secure,
 * SameSite on cross-site navigations, `__Host-`/`__Secure-` prefixes), redirects followed by
 * hand so that every hop can be inspected, and HTML forms read with a real parser (cheerio on
 * parse5) and submitted as a browser would.
 *
 * It does not run scripts: an auto-posting page is submitted with `submit(page)`, which is what
 * the page's `form.submit()` does.
 */

export interface Cookie {
  name: string;
  value: string;
  /** The host the cookie belongs to (without a leading dot). */
  domain: string;
  /** True when set without a Domain attribute: sent to exactly that host. */
  hostOnly: boolean;
  path: string;
  /** Epoch milliseconds; undefined for a session cookie. */
  expires?: number;
  secure: boolean;
  httpOnly: boolean;
  /** As sent; unspecified is treated as Lax, as Chromium does. */
  sameSite?: 'strict' | 'lax' | 'none';
}

export interface Hop {
  method: string;
  url: string;
  status: number;
  /** The redirect target, resolved to an absolute URL. */
  location?: string;
  headers: Headers;
  body: string;
  /** Request body sent (form posts). */
  requestBody?: string;
  /** Names of the cookies sent with the request. */
  sentCookies: string[];
}

export interface HtmlForm {
  id?: string;
  /** Absolute URL (the page URL when the form has no action). */
  action: string;
  method: 'GET' | 'POST';
  /** The form's successful controls, in document order (no submit buttons). */
  fields: [string, string][];
  /** Submit buttons: `<button>` (type submit) and `<input type=submit>`. */
  buttons: { name?: string; value: string; text: string }[];
}

export interface NavigateOptions {
  /**
   * URL of the page that started the navigation; decides SameSite and Origin. Absent means the
   * user typed the address (every cookie is sent).
   */
  initiator?: string;
  /** Do not fetch a URL (initial or redirect target) for which this returns true; stop there. */
  stopAt?: (url: URL) => boolean;
  headers?: Record<string, string>;
}

export interface SubmitOptions extends Omit<NavigateOptions, 'initiator'> {
  /** Which form: index, `#id`, or a predicate. Default: the only form, or the first one. */
  form?: number | string | ((form: HtmlForm) => boolean);
  /** Field values to set (replacing any field of the same name) or add. */
  fields?: Record<string, string>;
  /**
   * The submit button to press, matched by its text, value or name; its name/value pair is sent.
   * Without it the form is submitted as `form.submit()` does, with no button.
   */
  button?: string;
}

export class Page {
  #dom: cheerio.CheerioAPI | undefined;

  constructor(
    /** The final URL (for a stopped navigation: the URL that was not fetched). */
    readonly url: string,
    /** 0 when stopped. */
    readonly status: number,
    readonly headers: Headers,
    readonly body: string,
    /** The hops of this navigation, in order. */
    readonly hops: Hop[],
    /** Set when `stopAt` matched: the request that was not made. */
    readonly stopped?: { method: string; url: string; body?: string },
  ) {}

  get $(): cheerio.CheerioAPI {
    this.#dom ??= cheerio.load(this.body);
    return this.#dom;
  }

  /** The visible text, whitespace collapsed. */
  text(): string {
    return this.$('body').text().replace(/\s+/g, ' ').trim();
  }

  title(): string {
    return this.$('title').text().trim();
  }

  forms(): HtmlForm[] {
    return parseForms(this.$, this.url);
  }

  form(which?: SubmitOptions['form']): HtmlForm {
    const forms = this.forms();
    let found: HtmlForm | undefined;
    if (which === undefined) found = forms[0];
    else if (typeof which === 'number') found = forms[which];
    else if (typeof which === 'string') found = forms.find((f) => which.startsWith('#') && f.id === which.slice(1));
    else found = forms.find(which);
    if (!found) throw new Error(`No such form on ${this.url} (status ${this.status}): ${this.text().slice(0, 300)}`);
    return found;
  }

  /** The field's value in the form, or undefined. */
  field(name: string, which?: SubmitOptions['form']): string | undefined {
    return this.form(which).fields.find(([n]) => n === name)?.[1];
  }
}

/** Reads every `<form>` of a document as a browser would submit it. */
export function parseForms($: cheerio.CheerioAPI, pageUrl: string): HtmlForm[] {
  const baseHref = $('base[href]').attr('href');
  const base = baseHref ? new URL(baseHref, pageUrl).href : pageUrl;
  return $('form')
    .toArray()
    .map((element) => {
      const form = $(element);
      const id = form.attr('id');
      const actionAttr = form.attr('action');
      const action = actionAttr ? new URL(actionAttr, base).href : pageUrl;
      const method = (form.attr('method') ?? 'get').toLowerCase() === 'post' ? 'POST' : 'GET';
      // Controls inside the form, and those elsewhere that point at it with form="id".
      const controls = form
        .find('input, select, textarea, button')
        .toArray()
        .filter((c) => $(c).attr('form') === undefined || $(c).attr('form') === id);
      if (id) controls.push(...$(`[form="${id}"]`).toArray().filter((c) => !controls.includes(c)));
      const fields: [string, string][] = [];
      const buttons: HtmlForm['buttons'] = [];
      for (const control of controls) {
        const c = $(control);
        const tag = control.tagName.toLowerCase();
        const name = c.attr('name');
        if (c.attr('disabled') !== undefined) continue;
        if (tag === 'button') {
          const type = (c.attr('type') ?? 'submit').toLowerCase();
          if (type === 'submit') buttons.push({ name, value: c.attr('value') ?? '', text: c.text().trim() });
          continue;
        }
        if (tag === 'input') {
          const type = (c.attr('type') ?? 'text').toLowerCase();
          if (type === 'submit' || type === 'image') {
            buttons.push({ name, value: c.attr('value') ?? 'Submit', text: c.attr('value') ?? 'Submit' });
            continue;
          }
          if (type === 'button' || type === 'reset' || type === 'file' || !name) continue;
          if ((type === 'checkbox' || type === 'radio') && c.attr('checked') === undefined) continue;
          fields.push([name, c.attr('value') ?? (type === 'checkbox' || type === 'radio' ? 'on' : '')]);
          continue;
        }
        if (!name) continue;
        if (tag === 'textarea') {
          fields.push([name, c.text()]);
          continue;
        }
        if (tag === 'select') {
          const options = c.find('option');
          const selected = options.filter((_, o) => $(o).attr('selected') !== undefined).first();
          const option = selected.length ? selected : options.first();
          if (option.length) fields.push([name, option.attr('value') ?? option.text()]);
        }
      }
      return { ...(id ? { id } : {}), action, method, fields, buttons } satisfies HtmlForm;
    });
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Schemeful site, simplified: scheme plus the last two labels of a domain, or the whole host. */
export function siteOf(url: URL): string {
  const host = url.hostname;
  const isIp = /^\d+(?:\.\d+){3}$/.test(host) || host.startsWith('[');
  const labels = host.split('.');
  const registrable = isIp || labels.length <= 2 ? host : labels.slice(-2).join('.');
  return `${url.protocol}//${registrable}`;
}

function isSecureContext(url: URL): boolean {
  return url.protocol === 'https:' || LOOPBACK.test(url.hostname);
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith('/') || path.lastIndexOf('/') === 0) return '/';
  return path.slice(0, path.lastIndexOf('/'));
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || (host.endsWith(`.${domain}`) && !/^\d+(?:\.\d+){3}$/.test(host));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** Cookies keyed by host, as browsers keep them (ports do not separate cookies). */
export class CookieJar {
  #cookies: Cookie[] = [];

  /** Stores one Set-Cookie header received from `url`; returns the cookie or why it was rejected. */
  setCookie(url: URL, header: string, now = Date.now()): Cookie | string {
    const [pair = '', ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq < 1) return 'no name';
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const cookie: Cookie = {
      name,
      value,
      domain: url.hostname.toLowerCase(),
      hostOnly: true,
      path: defaultPath(url),
      secure: false,
      httpOnly: false,
    };
    let maxAge: number | undefined;
    let expires: number | undefined;
    for (const attribute of attributes) {
      const i = attribute.indexOf('=');
      const key = (i < 0 ? attribute : attribute.slice(0, i)).trim().toLowerCase();
      const val = i < 0 ? '' : attribute.slice(i + 1).trim();
      switch (key) {
        case 'path':
          cookie.path = val.startsWith('/') ? val : defaultPath(url);
          break;
        case 'domain': {
          const domain = val.replace(/^\./, '').toLowerCase();
          if (domain) {
            if (!domainMatches(cookie.domain, domain)) return `domain ${domain} does not match ${cookie.domain}`;
            cookie.domain = domain;
            cookie.hostOnly = false;
          }
          break;
        }
        case 'max-age':
          if (/^-?\d+$/.test(val)) maxAge = Number(val);
          break;
        case 'expires': {
          const t = Date.parse(val);
          if (!Number.isNaN(t)) expires = t;
          break;
        }
        case 'secure':
          cookie.secure = true;
          break;
        case 'httponly':
          cookie.httpOnly = true;
          break;
        case 'samesite': {
          const s = val.toLowerCase();
          if (s === 'strict' || s === 'lax' || s === 'none') cookie.sameSite = s;
          break;
        }
        default:
          break;
      }
    }
    if (maxAge !== undefined) cookie.expires = now + maxAge * 1000;
    else if (expires !== undefined) cookie.expires = expires;

    if (cookie.secure && !isSecureContext(url)) return 'Secure cookie from an insecure origin';
    if (cookie.sameSite === 'none' && !cookie.secure) return 'SameSite=None without Secure';
    if (name.startsWith('__Secure-') && !cookie.secure) return '__Secure- prefix without Secure';
    if (name.startsWith('__Host-') && (!cookie.secure || !cookie.hostOnly || cookie.path !== '/')) {
      return '__Host- prefix needs Secure, no Domain and Path=/';
    }

    this.#cookies = this.#cookies.filter(
      (c) => !(c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path),
    );
    if (cookie.expires === undefined || cookie.expires > now) this.#cookies.push(cookie);
    return cookie;
  }

  /**
   * The cookies to send to `url`. `sameSite` says whether the request is same-site with its
   * initiator; `safeTopLevel` whether it is a top-level navigation with a safe method (GET),
   * which still carries Lax cookies across sites.
   */
  cookiesFor(url: URL, context: { sameSite: boolean; safeTopLevel: boolean } = { sameSite: true, safeTopLevel: true }, now = Date.now()): Cookie[] {
    this.#cookies = this.#cookies.filter((c) => c.expires === undefined || c.expires > now);
    const host = url.hostname.toLowerCase();
    return this.#cookies
      .filter((c) => (c.hostOnly ? c.domain === host : domainMatches(host, c.domain)))
      .filter((c) => pathMatches(url.pathname, c.path))
      .filter((c) => !c.secure || isSecureContext(url))
      .filter((c) => {
        if (context.sameSite) return true;
        const mode = c.sameSite ?? 'lax';
        return mode === 'none' || (mode === 'lax' && context.safeTopLevel);
      })
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** Every stored cookie (for assertions). */
  all(now = Date.now()): Cookie[] {
    return this.#cookies.filter((c) => c.expires === undefined || c.expires > now);
  }

  get(name: string, host?: string): Cookie | undefined {
    return this.all().find((c) => c.name === name && (host === undefined || c.domain === host));
  }

  delete(name: string, host?: string): void {
    this.#cookies = this.#cookies.filter((c) => !(c.name === name && (host === undefined || c.domain === host)));
  }

  clear(): void {
    this.#cookies = [];
  }
}

export interface UserAgentOptions {
  maxRedirects?: number;
  /** Default `stopAt` for every navigation. */
  stopAt?: (url: URL) => boolean;
}

export class UserAgent {
  readonly cookies = new CookieJar();
  /** Every hop made by this user agent, oldest first. */
  readonly history: Hop[] = [];
  readonly #options: UserAgentOptions;

  constructor(options: UserAgentOptions = {}) {
    this.#options = options;
  }

  get(url: string | URL, options: NavigateOptions = {}): Promise<Page> {
    return this.#navigate('GET', new URL(url), undefined, options);
  }

  /** Posts `form` as `application/x-www-form-urlencoded`. */
  post(
    url: string | URL,
    form: Record<string, string> | [string, string][] | URLSearchParams,
    options: NavigateOptions = {},
  ): Promise<Page> {
    const body = new URLSearchParams(form as ConstructorParameters<typeof URLSearchParams>[0]).toString();
    return this.#navigate('POST', new URL(url), body, options);
  }

  /** Submits a form of `page` as a browser would (see `SubmitOptions`). */
  submit(page: Page, options: SubmitOptions = {}): Promise<Page> {
    const form = page.form(options.form);
    let fields: [string, string][] = form.fields.map(([n, v]) => [n, v]);
    for (const [name, value] of Object.entries(options.fields ?? {})) {
      const at = fields.findIndex(([n]) => n === name);
      fields = fields.filter(([n], i) => n !== name || i === at);
      if (at >= 0) fields[at] = [name, value];
      else fields.push([name, value]);
    }
    if (options.button !== undefined) {
      const wanted = options.button;
      const button = form.buttons.find((b) => b.text === wanted || b.value === wanted || b.name === wanted);
      if (!button) {
        throw new Error(`No button "${wanted}" in the form; buttons: ${form.buttons.map((b) => b.text || b.value).join(', ')}`);
      }
      if (button.name) fields.push([button.name, button.value]);
    }
    const encoded = new URLSearchParams(fields).toString();
    const navigate: NavigateOptions = { ...options, initiator: page.url };
    if (form.method === 'GET') {
      const target = new URL(form.action);
      target.search = encoded;
      target.hash = '';
      return this.#navigate('GET', target, undefined, navigate);
    }
    return this.#navigate('POST', new URL(form.action), encoded, navigate);
  }

  async #navigate(method: string, first: URL, firstBody: string | undefined, options: NavigateOptions): Promise<Page> {
    const maxRedirects = this.#options.maxRedirects ?? 20;
    const stopAt = options.stopAt ?? this.#options.stopAt;
    const hops: Hop[] = [];
    const chain: URL[] = options.initiator ? [new URL(options.initiator)] : [];
    let url = first;
    let body = firstBody;
    for (let i = 0; ; i++) {
      url.hash = '';
      if (stopAt?.(url)) {
        return new Page(url.href, 0, new Headers(), '', hops, { method, url: url.href, ...(body !== undefined ? { body } : {}) });
      }
      const target = url;
      const sameSite = chain.every((u) => siteOf(u) === siteOf(target));
      const cookies = this.cookies.cookiesFor(url, { sameSite, safeTopLevel: method === 'GET' || method === 'HEAD' });
      const headers: Record<string, string> = {
        accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
        'user-agent': 'oidc-saml-bridge-test-agent',
        ...options.headers,
      };
      if (cookies.length) headers.cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      if (method === 'POST' && options.initiator) {
        // Browsers send the initiator's Origin on a POST; it turns "null" once a redirect went
        // through another origin (Fetch, "tainted origin").
        const initiator = chain[0]!.origin;
        headers.origin = chain.slice(1).some((u) => u.origin !== initiator) ? 'null' : initiator;
      }
      const response = await fetch(url, { method, headers, body, redirect: 'manual' });
      const text = await response.text();
      for (const setCookie of response.headers.getSetCookie()) this.cookies.setCookie(url, setCookie);
      const locationHeader = response.headers.get('location');
      const isRedirect = [301, 302, 303, 307, 308].includes(response.status) && locationHeader !== null;
      const hop: Hop = {
        method,
        url: url.href,
        status: response.status,
        headers: response.headers,
        body: text,
        sentCookies: cookies.map((c) => c.name),
        ...(body !== undefined ? { requestBody: body } : {}),
        ...(isRedirect ? { location: new URL(locationHeader, url).href } : {}),
      };
      hops.push(hop);
      this.history.push(hop);
      if (!isRedirect) return new Page(url.href, response.status, response.headers, text, hops);
      if (i >= maxRedirects) throw new Error(`More than ${maxRedirects} redirects, last to ${hop.location}`);
      chain.push(url);
      url = new URL(hop.location!);
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
    }
  }
}
