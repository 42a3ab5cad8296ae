import Lozenge from '@atlaskit/lozenge';
import type { AuditRecordView } from '../../../../src/core/admin/admin-api-types.ts';
import { actionName, type AuditNames } from './audit-names.ts';

const TIME_FORMAT: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'medium' };

function Time({ time }: { time: number }) {
  return <time dateTime={new Date(time).toISOString()}>{new Date(time).toLocaleString(undefined, TIME_FORMAT)}</time>;
}

function Outcome({ record }: { record: AuditRecordView }) {
  return (
    <>
      {record.outcome === 'ok' ? <Lozenge appearance="success">Succeeded</Lozenge> : <Lozenge appearance="removed">Refused</Lozenge>}
      {record.flow === 'test' ? (
        <>
          {' '}
          <Lozenge appearance="new">Test</Lozenge>
        </>
      ) : record.flow === 'idp' ? (
        <>
          {' '}
          <Lozenge appearance="inprogress">From a bookmark</Lozenge>
        </>
      ) : null}
    </>
  );
}

/** Sign-in attempts, newest first: who, through which connection and provider, and why one was refused. */
export function LoginRecordsTable(props: { records: readonly AuditRecordView[]; names: AuditNames; label: string }) {
  return (
    <div className="bridge-scroll">
      <table className="bridge-table bridge-table--records" aria-label={props.label}>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Outcome</th>
            <th scope="col">Email</th>
            <th scope="col">Connection</th>
            <th scope="col">Provider</th>
            <th scope="col">Error</th>
            <th scope="col">Reference</th>
          </tr>
        </thead>
        <tbody>
          {props.records.map((r) => (
            <tr key={r.reference}>
              <td>
                <Time time={r.time} />
              </td>
              <td>
                <Outcome record={r} />
              </td>
              <td>{r.email ?? ''}</td>
              <td>{props.names.connection(r.connectionId)}</td>
              <td>{props.names.provider(r.connectionId, r.providerId)}</td>
              <td className="bridge-table__wrap">
                {r.code ? (
                  <>
                    {r.codeTitle ? `${r.codeTitle} ` : ''}
                    <code>{r.code}</code>
                  </>
                ) : null}
              </td>
              <td>
                <code>{r.reference}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Configuration changes, newest first: who did what to which connection, by field (never a value). */
export function ChangeRecordsTable(props: { records: readonly AuditRecordView[]; names: AuditNames; label: string }) {
  return (
    <div className="bridge-scroll">
      <table className="bridge-table bridge-table--records" aria-label={props.label}>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Connection</th>
            <th scope="col">Fields</th>
            <th scope="col">Reference</th>
          </tr>
        </thead>
        <tbody>
          {props.records.map((r) => (
            <tr key={r.reference}>
              <td>
                <Time time={r.time} />
              </td>
              <td>
                <code>{r.actor ?? ''}</code>
              </td>
              <td>{actionName(r.action)}</td>
              <td>{props.names.connection(r.connectionId)}</td>
              <td className="bridge-table__wrap">{(r.fields ?? []).map((path) => props.names.field(r.connectionId, path)).join(', ')}</td>
              <td>
                <code>{r.reference}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The table for records of one kind. */
export function AuditRecordsTable(props: { kind: AuditRecordView['kind']; records: readonly AuditRecordView[]; names: AuditNames; label: string }) {
  return props.kind === 'change' ? <ChangeRecordsTable {...props} /> : <LoginRecordsTable {...props} />;
}
