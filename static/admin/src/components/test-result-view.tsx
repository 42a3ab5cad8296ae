import SectionMessage from '@atlaskit/section-message';
import { Stack } from '@atlaskit/primitives';
import Heading from '@atlaskit/heading';
import Button from '@atlaskit/button/new';
import type { TestResultResponse, WizardStep } from '../../../../src/core/admin/admin-api-types.ts';
import { WarningList } from './problems.tsx';

/** The outcome of a test login: what the provider sent and exactly what Atlassian would get. */
export function TestResultView({ result, goTo }: { result: Exclude<TestResultResponse, { state: 'pending' }>; goTo?: (step: WizardStep) => void }) {
  if (result.state === 'failed') {
    return (
      <Stack space="space.200">
        <SectionMessage appearance="error" title={`Test login failed: ${result.title}`}>
          <p>{result.message}</p>
          <p>
            Reference: <code id="test-reference">{result.reference}</code> (the same reference the sign-in page showed; the bridge’s log
            has the details under it). Code: <code>{result.code}</code>.
          </p>
        </SectionMessage>
        {result.advice ? (
          <SectionMessage appearance="warning" title={`Check “${result.advice.field}”`}>
            <p>{result.advice.message}</p>
            {goTo ? (
              <Button onClick={() => goTo(result.advice!.step)}>Go to {result.advice.field}</Button>
            ) : null}
          </SectionMessage>
        ) : null}
        {result.claims ? <ClaimsTable claims={result.claims} /> : null}
      </Stack>
    );
  }
  return (
    <Stack space="space.200">
      <SectionMessage appearance="success" title="Test login succeeded">
        <p>
          The provider signed the user in and the bridge checked the ID token. Nothing was sent to Atlassian; this is what it would
          receive.
        </p>
      </SectionMessage>
      {result.warnings?.length ? <WarningList title="Not checked yet" warnings={result.warnings} /> : null}
      <Heading size="small" as="h3">
        What Atlassian would receive
      </Heading>
      <table className="bridge-table" aria-label="What Atlassian would receive">
        <tbody>
          <tr>
            <th scope="row">NameID</th>
            <td>
              <code id="test-name-id">{result.nameId}</code>
            </td>
          </tr>
          <tr>
            <th scope="row">NameID format</th>
            <td>
              <code className="bridge-break">{result.nameIdFormat}</code>
            </td>
          </tr>
          {result.attributes.map((attribute) => (
            <tr key={attribute.name}>
              <th scope="row">
                <code className="bridge-break">{attribute.name}</code>
              </th>
              <td>
                {attribute.values.map((value, index) => (
                  <div key={index}>
                    <code className="bridge-break">{value}</code>
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ClaimsTable claims={result.claims} />
    </Stack>
  );
}

/** Claims that are times in seconds since 1970 (RFC 7519 §4.1, OIDC Core §2 and §5.1). */
const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time', 'updated_at']);

/** A claim as the admin reads it: times also as a UTC date, so `exp` and `iat` say when. */
function claimText(name: string, value: unknown): string {
  if (TIME_CLAIMS.has(name) && typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < 1e11) {
    return `${value} (${new Date(value * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')})`;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function ClaimsTable({ claims }: { claims: Record<string, unknown> }) {
  const entries = Object.entries(claims).sort(([a], [b]) => a.localeCompare(b));
  return (
    <Stack space="space.100">
      <Heading size="small" as="h3">
        Claims received from the provider
      </Heading>
      <table className="bridge-table" aria-label="Claims received from the provider">
        <thead>
          <tr>
            <th scope="col">Claim</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([name, value]) => (
            <tr key={name}>
              <th scope="row">
                <code>{name}</code>
              </th>
              <td>
                <code className="bridge-break">{claimText(name, value)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Stack>
  );
}
