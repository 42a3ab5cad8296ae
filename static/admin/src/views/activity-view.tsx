import { useEffect, useMemo, useRef, useState } from 'react';
import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import SectionMessage from '@atlaskit/section-message';
import Spinner from '@atlaskit/spinner';
import { Inline, Stack, Text } from '@atlaskit/primitives';
import type { AuditExportResponse, AuditRecordView, ConnectionSummary } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import { downloadText } from '../download.ts';
import { Tabs } from '../components/tabs.tsx';
import { auditNames } from './audit-names.ts';
import { AuditFilterForm, auditRequestOf, NO_FILTERS, type AuditFilterValues, type AuditKind } from './audit-filters.tsx';
import { AuditRecordsTable } from './audit-tables.tsx';
import { ReferenceLookup } from './reference-lookup.tsx';

/** Records per page: a screenful; "Load more" fetches the next. */
export const AUDIT_PAGE_SIZE = 25;

const KINDS = [
  { value: 'login', label: 'Sign-ins' },
  { value: 'change', label: 'Configuration changes' },
] as const satisfies readonly { value: AuditKind; label: string }[];

interface Listing {
  records: AuditRecordView[];
  next?: string;
  busy: boolean;
  failure?: string;
}

type Exported = { state: 'idle' } | { state: 'busy' } | { state: 'done'; answer: AuditExportResponse } | { state: 'failed'; message: string };

/**
 * The audit trail: every sign-in attempt and every configuration change, newest first,
 * filtered, paged, found by reference, exported as CSV.
 */
export function ActivityView(props: { connections: readonly ConnectionSummary[] }) {
  const names = useMemo(() => auditNames(props.connections), [props.connections]);
  const [kind, setKind] = useState<AuditKind>('login');
  const [filters, setFilters] = useState<AuditFilterValues>(NO_FILTERS);
  const [listing, setListing] = useState<Listing>({ records: [], busy: true });
  const [exported, setExported] = useState<Exported>({ state: 'idle' });
  // Answers to an older query (other filters, other tab) are dropped.
  const queryId = useRef(0);

  async function fetchPage(cursor?: string) {
    const id = cursor ? queryId.current : ++queryId.current;
    setListing((l) => ({ ...(cursor ? l : { records: [] }), busy: true, failure: undefined }));
    try {
      const page = await invokeResolver('audit/query', { ...auditRequestOf(kind, filters), limit: AUDIT_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
      if (id !== queryId.current) return;
      setListing((l) => ({ records: cursor ? [...l.records, ...page.records] : page.records, next: page.next, busy: false }));
    } catch (error) {
      if (id !== queryId.current) return;
      setListing((l) => ({ ...l, busy: false, failure: error instanceof Error ? error.message : String(error) }));
    }
  }

  useEffect(() => {
    setExported({ state: 'idle' });
    void fetchPage();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [kind, filters]);

  async function exportCsv() {
    setExported({ state: 'busy' });
    try {
      const answer = await invokeResolver('audit/export', auditRequestOf(kind, filters));
      downloadText(answer.csv, answer.fileName, 'text/csv;charset=utf-8');
      setExported({ state: 'done', answer });
    } catch (error) {
      setExported({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  }

  const label = kind === 'login' ? 'Sign-ins, newest first' : 'Configuration changes, newest first';

  return (
    <main className="bridge-main bridge-main--wide" aria-labelledby="activity-heading">
      <Stack space="space.300">
        <Stack space="space.100">
          <Heading size="large" as="h2" id="activity-heading">
            Sign-in activity
          </Heading>
          <Text as="p">
            Every sign-in attempt through the bridge and every change to its configuration, kept 30 days. A user who could not sign in
            sees a reference on the error page; find it below to see why.
          </Text>
        </Stack>
        <ReferenceLookup names={names} />
        <Tabs label="Records" tabs={KINDS} value={kind} onChange={setKind}>
          <Stack space="space.200">
            <AuditFilterForm key={kind} kind={kind} connections={props.connections} applied={filters} onApply={setFilters} />
            <Inline space="space.100" alignBlock="center">
              <Button onClick={() => void exportCsv()} isLoading={exported.state === 'busy'}>
                Export CSV
              </Button>
              <Text size="small" color="color.text.subtle">
                The records these filters select, newest first.
              </Text>
            </Inline>
            <ExportOutcome exported={exported} />
            {listing.failure ? (
              <SectionMessage appearance="error" title="The records could not be loaded">
                <p>{listing.failure}</p>
              </SectionMessage>
            ) : null}
            {listing.records.length ? (
              <AuditRecordsTable kind={kind} records={listing.records} names={names} label={label} />
            ) : !listing.busy && !listing.failure ? (
              <Text as="p">No records match these filters.</Text>
            ) : null}
            {listing.busy ? <Spinner size="medium" label="Loading records" /> : null}
            {listing.next && !listing.busy ? (
              <div>
                <Button onClick={() => void fetchPage(listing.next)}>Load more</Button>
              </div>
            ) : null}
          </Stack>
        </Tabs>
      </Stack>
    </main>
  );
}

function ExportOutcome({ exported }: { exported: Exported }) {
  if (exported.state === 'failed') {
    return (
      <SectionMessage appearance="error" title="Export failed">
        <p>{exported.message}</p>
      </SectionMessage>
    );
  }
  if (exported.state !== 'done') return null;
  const { rows, fileName, truncated } = exported.answer;
  return truncated ? (
    <SectionMessage appearance="warning" title="Export truncated">
      <p>
        {fileName} holds the newest {rows} records only: more match these filters than one export holds. Narrow the days to export the
        rest.
      </p>
    </SectionMessage>
  ) : (
    <SectionMessage appearance="success" title="Exported">
      <p>
        {fileName}: {rows} {rows === 1 ? 'record' : 'records'}.
      </p>
    </SectionMessage>
  );
}
