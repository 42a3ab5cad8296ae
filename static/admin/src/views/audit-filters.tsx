import { useState, type FormEvent } from 'react';
import Button from '@atlaskit/button/new';
import { Inline, Stack } from '@atlaskit/primitives';
import type { AuditQueryRequest, ConnectionSummary } from '../../../../src/core/admin/admin-api-types.ts';
import { TextInput } from '../components/field.tsx';
import { SelectField } from '../components/select-field.tsx';

/** The filters as typed; dates as the date inputs give them (`YYYY-MM-DD`, the admin's own days). */
export interface AuditFilterValues {
  email: string;
  outcome: '' | 'ok' | 'refused';
  connectionId: string;
  from: string;
  to: string;
}

export const NO_FILTERS: AuditFilterValues = { email: '', outcome: '', connectionId: '', from: '', to: '' };

export type AuditKind = NonNullable<AuditQueryRequest['kind']>;

/** Start of a local day in ms. */
function dayStart(day: string): number {
  return new Date(`${day}T00:00:00`).getTime();
}

/** The query of `audit/query` and `audit/export` for these filters; `to` includes its whole day (the bound is exclusive). */
export function auditRequestOf(kind: AuditKind, values: AuditFilterValues): Omit<AuditQueryRequest, 'cursor' | 'limit'> {
  const next = values.to ? new Date(dayStart(values.to)) : undefined;
  next?.setDate(next.getDate() + 1);
  return {
    kind,
    ...(values.email.trim() ? { email: values.email.trim() } : {}),
    ...(kind === 'login' && values.outcome ? { outcome: values.outcome } : {}),
    ...(values.connectionId ? { connectionId: values.connectionId } : {}),
    ...(values.from ? { from: dayStart(values.from) } : {}),
    ...(next ? { to: next.getTime() } : {}),
  };
}

/** Email, outcome, connection and days; applied together when the admin says so. */
export function AuditFilterForm(props: {
  kind: AuditKind;
  connections: readonly ConnectionSummary[];
  applied: AuditFilterValues;
  onApply: (values: AuditFilterValues) => void;
}) {
  const [draft, setDraft] = useState(props.applied);
  const [problem, setProblem] = useState<string>();
  const set = <K extends keyof AuditFilterValues>(key: K) => (value: AuditFilterValues[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setProblem(undefined);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (draft.from && draft.to && draft.to < draft.from) {
      setProblem('The “to” day is before the “from” day.');
      return;
    }
    props.onApply({ ...draft });
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Filters">
      <Stack space="space.150">
        <div className="bridge-filters">
          {props.kind === 'login' ? (
            <TextInput label="Email" type="email" value={draft.email} onChange={set('email')} helper="The whole address." />
          ) : null}
          {props.kind === 'login' ? (
            <SelectField<AuditFilterValues['outcome']>
              label="Outcome"
              value={draft.outcome}
              choices={[
                { value: '', label: 'Any outcome' },
                { value: 'ok', label: 'Succeeded' },
                { value: 'refused', label: 'Refused' },
              ]}
              onChange={set('outcome')}
            />
          ) : null}
          <SelectField<string>
            label="Connection"
            value={draft.connectionId}
            choices={[{ value: '', label: 'All connections' }, ...props.connections.map((c) => ({ value: c.id, label: c.name }))]}
            onChange={set('connectionId')}
          />
          <TextInput label="From day" type="date" value={draft.from} onChange={set('from')} />
          <TextInput label="To day" type="date" value={draft.to} onChange={set('to')} errors={problem ? [problem] : undefined} />
        </div>
        <Inline space="space.100">
          <Button appearance="primary" type="submit">
            Apply filters
          </Button>
          <Button
            appearance="subtle"
            onClick={() => {
              setDraft(NO_FILTERS);
              setProblem(undefined);
              props.onApply(NO_FILTERS);
            }}
          >
            Clear filters
          </Button>
        </Inline>
      </Stack>
    </form>
  );
}
