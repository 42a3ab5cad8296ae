import { useId, useState } from 'react';
import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import SectionMessage from '@atlaskit/section-message';
import { Inline, Stack, Text } from '@atlaskit/primitives';
import type { ConnectionSummary } from '../../../../src/core/admin/admin-api-types.ts';
import type { BackupConnectionPreview, BackupPreviewResponse, BackupSigningKeyPlan } from '../../../../src/core/admin/backup-api-types.ts';
import { invokeResolver } from '../api.ts';
import { useReadOnly } from '../access.ts';
import { downloadText } from '../download.ts';
import { TextInput } from '../components/field.tsx';
import { SelectField } from '../components/select-field.tsx';

const ALL = '*';

type Notice = { appearance: 'success' | 'error' | 'information'; title: string; text: string };

const SIGNING_KEY: Record<BackupSigningKeyPlan, string> = {
  same: 'The file’s signing certificate is the one this connection signs with: nothing changes in Guard.',
  prepared: 'The file’s signing certificate is already this connection’s prepared next certificate.',
  prepare:
    'The file’s signing certificate will be the prepared NEXT certificate, not the active one. After the draft is applied, activate it on the “Guard values” step: then logins are signed with the certificate Guard already has.',
  'not-in-file': 'The file carries no signing key (an export without secrets): this installation keeps its own certificate, which Guard needs.',
};

const CLIENT_KEY: Record<BackupSigningKeyPlan, string> = {
  same: 'is the one this provider signs with: nothing changes at the provider.',
  prepared: 'is already this provider’s prepared next client key.',
  prepare:
    'will be the prepared NEXT client key, not the active one, served in the JWKS at once. Activate it on the provider step (“The provider knows it — activate”) before the connection test: the provider knows that key.',
  'not-in-file': 'is not in the file (an export without secrets): this installation makes its own client key, to register at the provider.',
};

const SECRET: Record<'changed' | 'unchanged' | 'not-in-file', string> = {
  changed: 'changed (value not shown)',
  unchanged: 'unchanged',
  'not-in-file': 'not in the file (the stored one is kept)',
};

/**
 * "Backup and restore" on the connections page: export one connection or all as JSON without
 * secrets (every admin), or with the client secrets and signing keys under a passphrase (owners);
 * import a file, see the field-by-field difference from the applied settings, and import it as a
 * draft, which is then tested and applied like any draft. The server checks every right and
 * every field again.
 */
export function BackupSection(props: { connections: ConnectionSummary[]; onChanged: (connections: ConnectionSummary[]) => void; onReload: () => Promise<void> }) {
  const readOnly = useReadOnly();
  const fileInputId = useId();
  const [target, setTarget] = useState<string>(ALL);
  const [exportPassphrase, setExportPassphrase] = useState('');
  const [importPassphrase, setImportPassphrase] = useState('');
  const [file, setFile] = useState<{ name: string; text: string }>();
  const [preview, setPreview] = useState<Extract<BackupPreviewResponse, { ok: true }>>();
  const [busy, setBusy] = useState<string>();
  const [notice, setNotice] = useState<Notice>();

  const run = async (label: string, work: () => Promise<void>) => {
    setBusy(label);
    setNotice(undefined);
    try {
      await work();
    } catch (error) {
      setNotice({ appearance: 'error', title: 'The request failed', text: error instanceof Error ? error.message : 'Try again.' });
    } finally {
      setBusy(undefined);
    }
  };
  const connectionId = target === ALL ? undefined : target;

  const exportPlain = () =>
    run('export', async () => {
      const answer = await invokeResolver('backup/export', { connectionId });
      if (!answer.ok) return setNotice({ appearance: 'error', title: 'Nothing was exported', text: answer.message });
      downloadText(answer.file, answer.fileName, 'application/json');
      setNotice({ appearance: 'success', title: 'Backup downloaded (no secrets)', text: `Left out: ${answer.omittedSecrets.length} secret(s), the client secrets and the signing key. Use “Export with secrets” to move to a new installation.` });
    });
  const exportSealed = () =>
    run('export-sealed', async () => {
      const answer = await invokeResolver('backup/export-sealed', { connectionId, passphrase: exportPassphrase });
      if (!answer.ok) return setNotice({ appearance: 'error', title: 'Nothing was exported', text: answer.message });
      setExportPassphrase('');
      downloadText(answer.file, answer.fileName, 'application/json');
      setNotice({ appearance: 'success', title: 'Encrypted backup downloaded', text: 'It holds the client secrets and the signing key. Keep the file and its passphrase apart; without the passphrase nobody can open it, you included.' });
    });
  const readPreview = () =>
    run('preview', async () => {
      setPreview(undefined);
      const answer = await invokeResolver('backup/preview', { file: file!.text, ...(importPassphrase ? { passphrase: importPassphrase } : {}) });
      if (!answer.ok) return setNotice({ appearance: 'error', title: answer.needsPassphrase ? 'Passphrase needed' : 'The file cannot be imported', text: answer.message });
      setPreview(answer);
    });
  const importDraft = () =>
    run('import', async () => {
      const answer = await invokeResolver('backup/import', { file: file!.text, ...(importPassphrase ? { passphrase: importPassphrase } : {}) });
      if (!answer.ok) {
        if (answer.preview) setPreview(answer.preview);
        return setNotice({ appearance: 'error', title: 'Nothing was imported', text: answer.message });
      }
      setPreview(undefined);
      setImportPassphrase('');
      props.onChanged(answer.connections);
      // The shown connection's status (its draft, a prepared certificate) comes from config/get.
      await props.onReload();
      const keys = answer.imported.some((i) => i.signingKey === 'prepare');
      const clientKeys = answer.imported.some((i) => i.clientKeys.some((k) => k.clientKey === 'prepare'));
      setNotice({
        appearance: 'success',
        title: 'Imported as a draft',
        text: `Users keep signing in with the applied settings. Open the connection${clientKeys ? ', activate the restored client key on the provider step' : ''}, run the connection test, then apply the draft.${keys ? ' Then activate the restored signing certificate on the “Guard values” step.' : ''}`,
      });
    });

  return (
    <section className="bridge-card" aria-labelledby="backup-heading">
      <Stack space="space.200">
        <Heading size="small" as="h3" id="backup-heading">
          Backup and restore
        </Heading>
        <Text as="p">
          Export the settings as a file to keep or to move to a new installation. Without secrets, the file can be shared for review; with
          secrets (client secrets and the signing key, so Guard keeps its certificate after a reinstall) it is encrypted under a passphrase.
        </Text>
        <SelectField
          label="What to export"
          value={target}
          choosesView
          choices={[{ value: ALL, label: 'All connections' }, ...props.connections.map((c) => ({ value: c.id, label: c.name }))]}
          onChange={setTarget}
        />
        <Inline space="space.100">
          <Button onClick={() => void exportPlain()} isDisabled={busy !== undefined}>
            Export without secrets
          </Button>
        </Inline>
        {readOnly ? null : (
          <Stack space="space.100">
            <PassphraseInput
              label="Passphrase for an export with secrets"
              value={exportPassphrase}
              onChange={setExportPassphrase}
              helper="At least 12 characters. It is not stored anywhere: without it the file cannot be opened."
            />
            <Inline space="space.100">
              <Button onClick={() => void exportSealed()} isDisabled={busy !== undefined || exportPassphrase.length === 0}>
                Export with secrets
              </Button>
            </Inline>
          </Stack>
        )}
        <Stack space="space.100">
          <label htmlFor={fileInputId}>Backup file to import</label>
          <input
            id={fileInputId}
            type="file"
            accept="application/json,.json"
            onChange={(event) => {
              const chosen = event.target.files?.[0];
              setPreview(undefined);
              setNotice(undefined);
              if (!chosen) return setFile(undefined);
              void chosen.text().then((text) => setFile({ name: chosen.name, text }));
            }}
          />
          <PassphraseInput label="Passphrase of an encrypted file" value={importPassphrase} onChange={setImportPassphrase} helper="Only for a file exported with secrets." />
          <Inline space="space.100">
            <Button onClick={() => void readPreview()} isDisabled={busy !== undefined || !file}>
              Show changes
            </Button>
          </Inline>
        </Stack>
        {notice ? (
          <SectionMessage appearance={notice.appearance} title={notice.title}>
            <p>{notice.text}</p>
          </SectionMessage>
        ) : null}
        {preview ? (
          <Stack space="space.200">
            <Text as="p">
              {preview.encrypted ? 'Encrypted file' : 'File without secrets'}, exported {preview.exportedAt.slice(0, 16).replace('T', ' ')} UTC by version {preview.appVersion}.
            </Text>
            {preview.connections.map((c) => (
              <ConnectionDiff key={c.connectionId} preview={c} />
            ))}
            {readOnly ? null : (
              <Inline space="space.100">
                <Button appearance="primary" onClick={() => void importDraft()} isDisabled={busy !== undefined || !preview.valid}>
                  Import as draft
                </Button>
              </Inline>
            )}
          </Stack>
        ) : null}
      </Stack>
    </section>
  );
}

/** A passphrase field: masked, never offered to the browser's password manager to keep. */
function PassphraseInput(props: { label: string; value: string; onChange: (value: string) => void; helper: string }) {
  return <TextInput label={props.label} type="password" autoComplete="off" value={props.value} onChange={props.onChange} helper={props.helper} />;
}

/** One connection of the preview: what changes, field by field, and what the import does with secrets and the key. */
function ConnectionDiff(props: { preview: BackupConnectionPreview }) {
  const { preview } = props;
  const problems = preview.problems.flatMap((p) => p.errors.map((e) => ({ ...e, providerId: p.providerId })));
  return (
    <Stack space="space.100">
      <Heading size="xsmall" as="h4">
        {preview.name} {preview.exists ? '' : '(new connection)'}
      </Heading>
      {problems.length ? (
        <SectionMessage appearance="error" title="These settings would be refused">
          <ul>
            {problems.map((p) => (
              <li key={`${p.providerId}:${p.path}`}>
                <code>{p.providerId ? `providers.${p.providerId}.${p.path}` : p.path}</code>: {p.message}
              </li>
            ))}
          </ul>
        </SectionMessage>
      ) : null}
      {preview.replacesDraft ? <Text as="p">The connection has a draft: the import replaces it.</Text> : null}
      <div className="bridge-scroll">
        <table className="bridge-table bridge-table--records" aria-label={`Changes to ${preview.name}`}>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Change</th>
              <th scope="col">Now</th>
              <th scope="col">From the file</th>
            </tr>
          </thead>
          <tbody>
            {preview.rows.map((row) => (
              <tr key={row.path}>
                <td className="bridge-table__wrap">
                  <code>{row.path}</code>
                </td>
                <td>{row.change}</td>
                <td className="bridge-table__wrap">{row.before ?? ''}</td>
                <td className="bridge-table__wrap">{row.after ?? ''}</td>
              </tr>
            ))}
            {preview.secrets.map((row) => (
              <tr key={row.path}>
                <td className="bridge-table__wrap">
                  <code>{row.path}</code>
                </td>
                <td className="bridge-table__wrap">{SECRET[row.secret]}</td>
                <td />
                <td />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {preview.rows.length === 0 ? <Text as="p">No setting differs from the applied one.</Text> : null}
      <Text as="p">{SIGNING_KEY[preview.signingKey]}</Text>
      {preview.clientKeys.map((row) => (
        <Text as="p" key={row.providerId}>
          The client key (private_key_jwt) of provider <code>{row.providerId}</code> {CLIENT_KEY[row.clientKey]}
        </Text>
      ))}
    </Stack>
  );
}
