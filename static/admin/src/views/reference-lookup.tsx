import { useState, type FormEvent } from 'react';
import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import { Stack } from '@atlaskit/primitives';
import type { AuditRecordView } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import { TextInput } from '../components/field.tsx';
import type { AuditNames } from './audit-names.ts';
import { AuditRecordsTable } from './audit-tables.tsx';

type Lookup = { state: 'idle' } | { state: 'busy' } | { state: 'found'; record: AuditRecordView } | { state: 'none'; reference: string } | { state: 'failed'; message: string };

/**
 * The reference a user read out from the error page (or that a change was logged under): one
 * record, whatever the filters say.
 */
export function ReferenceLookup(props: { names: AuditNames }) {
  const [reference, setReference] = useState('');
  const [lookup, setLookup] = useState<Lookup>({ state: 'idle' });

  async function find(event: FormEvent) {
    event.preventDefault();
    const value = reference.trim();
    if (!value) {
      setLookup({ state: 'failed', message: 'Enter the reference, such as R-AB12-CD34.' });
      return;
    }
    setLookup({ state: 'busy' });
    try {
      const { records } = await invokeResolver('audit/query', { reference: value });
      setLookup(records[0] ? { state: 'found', record: records[0] } : { state: 'none', reference: value });
    } catch (error) {
      setLookup({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  }

  return (
    <form onSubmit={find} noValidate aria-label="Find by reference">
      <Stack space="space.150">
        <div className="bridge-narrow">
          <TextInput
            label="Reference"
            value={reference}
            onChange={setReference}
            monospace
            placeholder="R-AB12-CD34"
            helper="The reference on the user’s error page: it finds that one attempt."
            errors={lookup.state === 'failed' ? [lookup.message] : undefined}
            after={
              <Button type="submit" isLoading={lookup.state === 'busy'}>
                Find
              </Button>
            }
          />
        </div>
        {lookup.state === 'found' ? (
          <AuditRecordsTable kind={lookup.record.kind} records={[lookup.record]} names={props.names} label={`Record ${lookup.record.reference}`} />
        ) : null}
        {lookup.state === 'none' ? (
          <SectionMessage appearance="information" title="No record with this reference">
            <p>
              Nothing has the reference <code>{lookup.reference}</code>. Records are kept 30 days; check the reference for typos.
            </p>
          </SectionMessage>
        ) : null}
      </Stack>
    </form>
  );
}
