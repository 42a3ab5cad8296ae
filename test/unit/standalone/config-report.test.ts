import { describe, expect, it } from '@jest/globals';
import { checkConfig } from '../../../src/core/config.js';
import { configProblemLines, parseConfigText } from '../../../src/standalone/config-report.js';

/** A configuration file the server cannot use is reported by path, never with its values. */
describe('the configuration file report', () => {
  const SECRET = 'file-client-secret-must-not-be-printed-77a1';

  it('reports JSON that does not parse without quoting its text', () => {
    const text = `{\n  "oidc": { "clientSecret": ${SECRET} }\n}`;
    const parsed = parseConfigText(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(/^is not valid JSON/);
    expect(!parsed.ok && parsed.message).not.toContain(SECRET.slice(0, 12));
    expect(!parsed.ok && parsed.message).not.toContain('clientSecret');
  });

  it('reports invalid fields by path with the refused values taken out', () => {
    const raw = {
      baseUrl: 'https://bridge.example.net',
      oidc: { issuer: 'https://idp.example.com', clientId: 'c', clientSecret: SECRET },
      serviceProvider: { entityId: 'https://auth.atlassian.com/saml/x', acsUrl: 'https://auth.atlassian.com/login/callback' },
      // A field whose message quotes the value it refused; the operator pasted the secret here.
      allowedEmailDomains: [SECRET],
    };
    const checked = checkConfig(raw, { allowLoopbackHttp: false });
    expect(checked.ok).toBe(false);
    const problems = checked.ok ? [] : checked.problems;
    expect(problems.map((p) => p.message).join(' ')).toContain(SECRET);
    const lines = configProblemLines(problems, raw);
    expect(lines).toEqual([expect.stringMatching(/^ {2}- allowedEmailDomains\.0: /)]);
    expect(lines.join('\n')).not.toContain(SECRET);
  });
});
