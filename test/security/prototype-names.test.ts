import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startHarness, type Harness } from '../support/login-harness.js';

/**
 * Parameter names that are also names of Object.prototype's properties must stay ordinary
 * parameters: a record built with `{}` would hand `__proto__` or `toString` to the prototype
 * and turn a hostile query into a 500 on every route.
 */
describe('parameters named like Object.prototype properties', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

  for (const name of names) {
    it(`answers a query parameter named ${name} with the ordinary refusal at the SSO URL`, async () => {
      const response = await fetch(`${harness.app.baseUrl}/saml/sso?${name}=x&${name}=y`, { redirect: 'manual' });
      expect({ status: response.status, code: response.headers.get('x-bridge-error') }).toEqual({ status: 400, code: 'saml_request_missing' });
    });

    it(`answers a form field named ${name} with the ordinary refusal at the SSO URL`, async () => {
      const response = await fetch(`${harness.app.baseUrl}/saml/sso`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `${name}=x`,
      });
      expect({ status: response.status, code: response.headers.get('x-bridge-error') }).toEqual({ status: 400, code: 'saml_request_missing' });
    });

    it(`treats a request header named ${name} as a plain header, not a 500`, async () => {
      const response = await fetch(`${harness.app.baseUrl}/saml/sso`, { redirect: 'manual', headers: { [name]: 'x' } });
      expect({ status: response.status, code: response.headers.get('x-bridge-error') }).toEqual({ status: 400, code: 'saml_request_missing' });
    });

    it(`answers a callback parameter named ${name} with the ordinary refusal`, async () => {
      const response = await fetch(`${harness.app.baseUrl}/oidc/callback?${name}=x`, { redirect: 'manual' });
      expect({ status: response.status, code: response.headers.get('x-bridge-error') }).toEqual({ status: 400, code: 'login_state_missing' });
    });
  }
});
