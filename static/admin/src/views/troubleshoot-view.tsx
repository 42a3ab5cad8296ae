import { useState, type FormEvent } from 'react';
import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import Lozenge from '@atlaskit/lozenge';
import SectionMessage from '@atlaskit/section-message';
import { Box, Stack, Text } from '@atlaskit/primitives';
import type { ConnectionCheck, ConnectionTarget, ErrorsExplainResponse } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import { TextArea } from '../components/field.tsx';
import { ExternalLink } from '../components/external-link.tsx';

/** As the resolver limits them (atlassian-errors.ts, connection-checks.ts); checked here too so the admin sees why at once. */
const MAX_TEXT = 4096;
const MAX_CERTIFICATE = 16 * 1024;

type Explained = { state: 'idle' } | { state: 'busy' } | { state: 'done'; answer: ErrorsExplainResponse } | { state: 'failed'; message: string };

const RESULT_LOZENGE: Record<ConnectionCheck['result'], { appearance: 'success' | 'removed' | 'default'; text: string }> = {
  ok: { appearance: 'success', text: 'OK' },
  problem: { appearance: 'removed', text: 'Problem' },
  unknown: { appearance: 'default', text: 'Unknown' },
};

/**
 * Troubleshoot a sign-in error: the admin pastes what Atlassian showed (the error page's
 * address or its message) and, optionally, the certificate now in Guard; `errors/explain`
 * answers the likely causes, each checked against this connection, and the next step. What
 * was pasted is only ever shown as text.
 */
export function TroubleshootView(props: { target: ConnectionTarget; connectionName: string }) {
  const [text, setText] = useState('');
  const [certificate, setCertificate] = useState('');
  const [explained, setExplained] = useState<Explained>({ state: 'idle' });
  const textError = text.length > MAX_TEXT ? [`Paste at most ${MAX_TEXT} characters: the address of Atlassian's error page, or its message.`] : undefined;
  const certificateError = certificate.length > MAX_CERTIFICATE ? ['A certificate is at most 16 KB: paste only the one from Guard.'] : undefined;

  async function explain(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) {
      setExplained({ state: 'failed', message: "Paste the address of Atlassian's error page, or its message." });
      return;
    }
    if (textError || certificateError) return;
    setExplained({ state: 'busy' });
    try {
      const answer = await invokeResolver('errors/explain', {
        ...props.target,
        text,
        ...(certificate.trim() ? { guardCertificate: certificate } : {}),
        browserTime: Date.now(),
      });
      setExplained({ state: 'done', answer });
    } catch (error) {
      setExplained({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  }

  return (
    <Stack space="space.300">
      <Heading size="large" as="h2">
        Troubleshoot a sign-in error
      </Heading>
      <Text as="p">
        When Atlassian shows an error after a sign-in through this app, paste the address of the error page (it starts with
        https://id.atlassian.com/) or the message. This page says what usually causes it and checks what it can against the
        connection “{props.connectionName}”: the clocks, the NameID and stable id of your last connection test, and the certificate.
      </Text>
      <form onSubmit={explain} noValidate aria-label="Explain an Atlassian error">
        <Stack space="space.200">
          <TextArea
            label="Atlassian's error (address or message)"
            value={text}
            onChange={setText}
            rows={4}
            placeholder="https://id.atlassian.com/error?error=access_denied&error_description=…"
            errors={textError ?? (explained.state === 'failed' ? [explained.message] : undefined)}
          />
          <TextArea
            label="Certificate in Atlassian Guard (optional)"
            value={certificate}
            onChange={setCertificate}
            rows={5}
            placeholder="-----BEGIN CERTIFICATE-----"
            helper="Copy it from Guard's Public X509 certificate field to compare it with the bridge's active signing certificate."
            errors={certificateError}
          />
          <Box>
            <Button appearance="primary" type="submit" isLoading={explained.state === 'busy'}>
              Explain
            </Button>
          </Box>
        </Stack>
      </form>
      {explained.state === 'done' ? <Explanations answer={explained.answer} /> : null}
    </Stack>
  );
}

function Explanations({ answer }: { answer: ErrorsExplainResponse }) {
  const { pasted } = answer;
  return (
    <Stack space="space.300">
      {pasted.kind === 'url' && pasted.atlassian === false ? (
        <SectionMessage appearance="warning" title="Not an address of Atlassian's">
          <p>
            The address pasted is on <code>{pasted.host}</code>, not on Atlassian's servers. The explanation below is from its text only.
          </p>
        </SectionMessage>
      ) : null}
      {pasted.parameters.length ? (
        <table className="bridge-table">
          <caption className="bridge-visually-hidden">What the error page's address says</caption>
          <tbody>
            {pasted.parameters.map((p) => (
              <tr key={p.name}>
                <th scope="row">{p.name}</th>
                <td className="bridge-break">
                  <code>{p.value}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {answer.explanations.map((explanation) => (
        <section key={explanation.id} aria-label={explanation.title} className="bridge-explanation">
          <Stack space="space.150">
            <Heading size="medium" as="h3">
              {explanation.title}
            </Heading>
            <Heading size="xsmall" as="h4">
              Likely causes
            </Heading>
            <ul className="bridge-list">
              {explanation.causes.map((cause) => (
                <li key={cause}>{cause}</li>
              ))}
            </ul>
            {explanation.checks.length ? (
              <>
                <Heading size="xsmall" as="h4">
                  Checked against this connection
                </Heading>
                <ul className="bridge-list" aria-label={`Checks: ${explanation.title}`}>
                  {explanation.checks.map((check) => (
                    <CheckItem key={check.id} check={check} />
                  ))}
                </ul>
              </>
            ) : null}
            <Heading size="xsmall" as="h4">
              Next step
            </Heading>
            <Text as="p">{explanation.nextStep}</Text>
            {explanation.id === 'bridge_reference' && pasted.reference ? (
              <Text as="p">
                Reference: <code>{pasted.reference}</code> · <a href="#activity">Open Sign-in activity</a>
              </Text>
            ) : null}
            {explanation.learnMore ? (
              <Text as="p">
                <ExternalLink href={explanation.learnMore}>Atlassian's article on this error</ExternalLink>
              </Text>
            ) : null}
          </Stack>
        </section>
      ))}
      <Text as="p" color="color.text.subtle">
        The bridge's clock read {answer.bridgeTime} when it answered.
      </Text>
    </Stack>
  );
}

function CheckItem({ check }: { check: ConnectionCheck }) {
  const lozenge = RESULT_LOZENGE[check.result];
  return (
    <li data-check={check.id} data-result={check.result}>
      <Stack space="space.050">
        <Text as="p">
          <Lozenge appearance={lozenge.appearance}>{lozenge.text}</Lozenge> <strong>{check.label}</strong>: {check.reason}
        </Text>
        {check.values?.length ? (
          <dl className="bridge-check-values">
            {check.values.map((v) => (
              <div key={v.label}>
                <dt>{v.label}</dt>
                <dd className="bridge-break">
                  <code>{v.value}</code>
                </dd>
              </div>
            ))}
          </dl>
        ) : null}
      </Stack>
    </li>
  );
}
