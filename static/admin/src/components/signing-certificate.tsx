import { useState } from 'react';
import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import { Inline, Stack, Text } from '@atlaskit/primitives';
import { CERTIFICATE_WARNING_DAYS, type CertificateChangeResponse, type CertificateStatus } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import { useReadOnly } from '../access.ts';
import type { StepProps } from '../wizard-context.ts';
import { CopyButton } from './copy-button.tsx';
import { KeyPanel } from './key-panel.tsx';
import { TextArea } from './field.tsx';
import { downloadText } from '../download.ts';

const day = (iso: string) => iso.slice(0, 10);

/**
 * The signing certificate's lifecycle on the Guard-values step: the active certificate's
 * fingerprint and expiry (a warning from 60 days before; Guard warns from 30), then "Prepare next
 * certificate" (a new key beside the active one, its PEM to copy or download into Guard), "I
 * saved it in Guard — activate" (signing switches; then run the connection test), and "Undo"
 * for 7 days. Guard has one certificate field, so the switch is the admin's, at the moment the
 * new certificate is saved there. Only SSO owners see the buttons enabled; the server checks too.
 */
export function SigningCertificate(props: StepProps) {
  const readOnly = useReadOnly();
  const status: CertificateStatus = props.data.certificate;
  const [busy, setBusy] = useState<string>();
  const [notice, setNotice] = useState<{ appearance: 'success' | 'error'; title: string; text: string; testLink?: boolean }>();
  const { active, next, undo } = status;
  const connectionId = props.target.connectionId;

  const run = async (label: string, call: () => Promise<CertificateChangeResponse>, done: (answer: CertificateChangeResponse & { ok: true }) => typeof notice) => {
    setBusy(label);
    setNotice(undefined);
    try {
      const answer = await call();
      props.update((data) => ({ ...data, certificate: answer.certificate }));
      setNotice(answer.ok ? done(answer) : { appearance: 'error', title: 'Nothing was changed', text: answer.message });
      // The certificate field above and the metadata follow the active certificate.
      if (answer.ok) await props.refresh();
    } catch (error) {
      setNotice({ appearance: 'error', title: 'The request failed', text: error instanceof Error ? error.message : 'Try again.' });
    } finally {
      setBusy(undefined);
    }
  };
  const prepare = () =>
    run('prepare', () => invokeResolver('certificate/prepare', { connectionId }), () => ({
      appearance: 'success',
      title: 'Next certificate prepared',
      text: 'Paste it into Guard (replace the certificate there and save), then come back and activate it. Until then, logins are signed with the active certificate.',
    }));
  const activate = (fingerprint: string) =>
    run('activate', () => invokeResolver('certificate/activate', { connectionId, fingerprint }), (answer) => ({
      appearance: 'success',
      title: 'Signing switched to the new certificate',
      text: `Logins are now signed with the certificate ${answer.certificate.active.fingerprint.slice(0, 23)}…. Run the connection test now, then sign in once through Atlassian in a private window. If Guard refuses it, use Undo.`,
      testLink: true,
    }));
  const undoSwitch = (fingerprint: string) =>
    run('undo', () => invokeResolver('certificate/undo', { connectionId, fingerprint }), () => ({
      appearance: 'success',
      title: 'The previous certificate signs again',
      text: 'Put the previous certificate back into Guard. The certificate you switched away from is kept as the next one.',
    }));
  const discard = (fingerprint: string) =>
    run('discard', () => invokeResolver('certificate/discard-next', { connectionId, fingerprint }), () => ({
      appearance: 'success',
      title: 'Next certificate discarded',
      text: 'Logins stay signed with the active certificate.',
    }));

  return (
    <KeyPanel title="Signing certificate">
      <dl className="bridge-definitions">
        <dt>Active certificate (SHA-256)</dt>
        <dd id="certificate-active-fingerprint" className="bridge-break">
          <code>{active.fingerprint}</code>
        </dd>
        <dt>Expires</dt>
        <dd id="certificate-active-expiry">
          {day(active.notAfter)} ({active.daysLeft} days left)
        </dd>
        {active.activatedAt ? (
          <>
            <dt>Active since</dt>
            <dd>{day(active.activatedAt)}</dd>
          </>
        ) : null}
      </dl>
      {active.expiresSoon ? (
        <SectionMessage appearance="warning" title={active.daysLeft < 0 ? 'The signing certificate has expired' : `The signing certificate expires in ${active.daysLeft} days`}>
          <p>
            Prepare the next certificate and switch to it before {day(active.notAfter)}. This page warns from {CERTIFICATE_WARNING_DAYS} days before; Atlassian Guard
            warns from 30.
          </p>
        </SectionMessage>
      ) : null}
      {next ? (
        <Stack space="space.150">
          <TextArea
            label="Next X.509 certificate"
            value={next.certificatePem}
            readOnly
            rows={8}
            helper={`SHA-256 ${next.fingerprint}, expires ${day(next.notAfter)}. In Guard, replace the certificate with this one, whole, BEGIN and END lines included, and save. Copy it with the button so no stray line breaks slip in.`}
            after={
              <Inline space="space.100">
                <CopyButton text={next.certificatePem} what="next X.509 certificate" />
                <Button onClick={() => downloadText(next.certificatePem, 'signing-certificate-next.pem', 'application/x-pem-file')}>Download .pem</Button>
              </Inline>
            }
          />
          <Inline space="space.100">
            <Button appearance="primary" isDisabled={readOnly || busy !== undefined} isLoading={busy === 'activate'} onClick={() => activate(next.fingerprint)}>
              I saved it in Guard — activate
            </Button>
            <Button appearance="subtle" isDisabled={readOnly || busy !== undefined} isLoading={busy === 'discard'} onClick={() => discard(next.fingerprint)}>
              Discard next certificate
            </Button>
          </Inline>
        </Stack>
      ) : (
        <Inline space="space.100" alignBlock="center">
          <Button isDisabled={readOnly || busy !== undefined} isLoading={busy === 'prepare'} onClick={prepare}>
            Prepare next certificate
          </Button>
          <Text>A new key and certificate beside the active one; logins keep the active one until you activate it.</Text>
        </Inline>
      )}
      {undo ? (
        <Inline space="space.100" alignBlock="center">
          <Button isDisabled={readOnly || busy !== undefined} isLoading={busy === 'undo'} onClick={() => undoSwitch(undo.fingerprint)}>
            Undo: sign with the previous certificate
          </Button>
          <Text>Possible until {day(undo.until)}.</Text>
        </Inline>
      ) : null}
      {readOnly ? <Text as="p">Only an SSO owner can prepare, activate or undo a certificate.</Text> : null}
      {notice ? (
        <SectionMessage appearance={notice.appearance} title={notice.title}>
          <p>{notice.text}</p>
          {notice.testLink ? (
            <p>
              <Button appearance="primary" onClick={() => props.goTo('test')}>
                Run the connection test
              </Button>
            </p>
          ) : null}
        </SectionMessage>
      ) : null}
    </KeyPanel>
  );
}
