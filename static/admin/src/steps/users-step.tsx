import { useEffect, useState } from 'react';
import { Checkbox } from '../components/checkbox.tsx';
import Heading from '@atlaskit/heading';
import SectionMessage from '@atlaskit/section-message';
import { Stack, Text } from '@atlaskit/primitives';
import type { StepProps } from '../wizard-context.ts';
import { TextArea, TextInput, fieldLabel } from '../components/field.tsx';
import { messagesFor } from '../components/problems.tsx';
import { StepFooter } from '../components/step-footer.tsx';
import { useStepSave } from '../components/use-step-save.ts';
import type { AccessRulePreview, UsersPreviewRequest, UsersPreviewResponse } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import { ClaimsTable } from '../components/test-result-view.tsx';
import { WarningList, ErrorList } from '../components/problems.tsx';
import { presetInfo } from '../presets.ts';

const FIELD_PATHS = ['nameIdClaim', 'attributeClaims', 'allowedEmailDomains', 'requireVerifiedEmail', 'allowInternationalEmail', 'groupsClaim', 'allowedGroups'];

/** Step 7: who may sign in and what Atlassian learns about them, previewed on the last test's claims. */
export function UsersStep(props: StepProps) {
  const saved = props.data.settings;
  const help = props.data.fieldHelp;
  const [nameIdClaim, setNameIdClaim] = useState(saved.nameIdClaim ?? 'email');
  const [givenName, setGivenName] = useState(saved.attributeClaims?.givenName ?? 'given_name');
  const [surname, setSurname] = useState(saved.attributeClaims?.surname ?? 'family_name');
  const [displayName, setDisplayName] = useState(saved.attributeClaims?.displayName ?? 'name');
  const [stableId, setStableId] = useState(saved.attributeClaims?.stableId ?? 'sub');
  const [domains, setDomains] = useState((saved.allowedEmailDomains ?? []).join(', '));
  const [requireVerified, setRequireVerified] = useState(saved.requireVerifiedEmail ?? true);
  const [allowInternational, setAllowInternational] = useState(saved.allowInternationalEmail ?? false);
  const [groupsClaim, setGroupsClaim] = useState(saved.groupsClaim ?? 'groups');
  const [groups, setGroups] = useState((saved.allowedGroups ?? []).join('\n'));
  const { emailVerification, groups: groupsHint } = presetInfo(saved.preset);
  const { state, save, touched } = useStepSave(props, 'users');
  const edit = (setter: (v: string) => void) => (value: string) => {
    setter(value);
    touched();
  };

  const draft: NonNullable<UsersPreviewRequest['settings']> = {
    nameIdClaim: nameIdClaim.trim(),
    attributeClaims: { givenName: givenName.trim(), surname: surname.trim(), displayName: displayName.trim(), stableId: stableId.trim() },
    allowedEmailDomains: splitDomains(domains),
    requireVerifiedEmail: requireVerified,
    allowInternationalEmail: allowInternational,
    groupsClaim: groupsClaim.trim(),
    allowedGroups: splitGroups(groups),
  };
  const draftKey = JSON.stringify(draft);
  const [preview, setPreview] = useState<{ forKey: string; response?: UsersPreviewResponse; failure?: string }>();

  // The bridge's own mapping, on the last test's claims, for the values as typed (not yet saved).
  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      invokeResolver('users/preview', { ...props.target, settings: JSON.parse(draftKey) as UsersPreviewRequest['settings'] }).then(
        (response) => !cancelled && setPreview({ forKey: draftKey, response }),
        (error: unknown) => !cancelled && setPreview({ forKey: draftKey, failure: error instanceof Error ? error.message : String(error) }),
      );
    }, 300);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
    // The last test can change while this step is open (a test in another tab).
  }, [draftKey, props.lastTest?.testId]);

  function onSave() {
    const list = splitDomains(domains);
    void save(
      {
        nameIdClaim: nameIdClaim.trim(),
        attributeClaims: {
          givenName: givenName.trim(),
          surname: surname.trim(),
          displayName: displayName.trim(),
          stableId: stableId.trim(),
        },
        allowedEmailDomains: list,
        requireVerifiedEmail: requireVerified,
        allowInternationalEmail: allowInternational,
        groupsClaim: groupsClaim.trim(),
        allowedGroups: splitGroups(groups),
      },
      {
        localErrors: list.length
          ? undefined
          : [{ path: 'allowedEmailDomains', message: 'Enter at least one domain, such as example.com: only its users may sign in.' }],
      },
    );
  }

  return (
    <Stack space="space.300">
      <Text as="p">
        Choose who may sign in and which claims become the SAML NameID and attributes. The defaults fit Okta and most providers, and
        the NameID must be the email address Atlassian (and SCIM, if you use it) knows the user by.
      </Text>
      <TextInput
        label={fieldLabel(props.data, 'allowedEmailDomains')}
        value={domains}
        onChange={edit(setDomains)}
        monospace
        placeholder="example.com, example.org"
        helper={`${help.allowedEmailDomains ?? 'Only users whose email domain is one of these may sign in.'} Separate several with commas.`}
        errors={messagesFor(state.errors, 'allowedEmailDomains')}
      />
      <Checkbox
        label={fieldLabel(props.data, 'requireVerifiedEmail')}
        isChecked={requireVerified}
        onChange={(event) => {
          setRequireVerified(event.target.checked);
          touched();
        }}
      />
      <Text as="p" color="color.text.subtle" testId="email-verification-note">
        {emailVerification.note}
      </Text>
      {requireVerified ? null : (
        <SectionMessage appearance="warning" title="Unverified email addresses will be accepted" testId="verified-email-off">
          <p>
            With this off, the bridge asserts whatever address the provider sends, verified or not. Anyone who can put an address in
            their profile at the provider (self-service sign-up, a guest account, an editable email) can then sign in to Atlassian as
            the owner of that address. Keep it off only if every address comes from domains your organisation owns and users cannot
            change their own.
          </p>
        </SectionMessage>
      )}
      {messagesFor(state.errors, 'requireVerifiedEmail')?.map((m) => (
        <Text key={m} color="color.text.danger">
          {m}
        </Text>
      ))}
      <Checkbox
        label={fieldLabel(props.data, 'allowInternationalEmail')}
        isChecked={allowInternational}
        onChange={(event) => {
          setAllowInternational(event.target.checked);
          touched();
        }}
      />
      {messagesFor(state.errors, 'allowInternationalEmail')?.map((m) => (
        <Text key={m} color="color.text.danger">
          {m}
        </Text>
      ))}
      <fieldset className="bridge-fieldset" data-testid="access-rule">
        <legend>Allowed groups (optional)</legend>
        <Stack space="space.150">
          <TextArea
            label={fieldLabel(props.data, 'allowedGroups')}
            value={groups}
            onChange={edit(setGroups)}
            rows={4}
            placeholder={'jira-users\n/engineering/platform'}
            helper={`${help.allowedGroups ?? ''} One group per line; spaces at the ends of a line are dropped. Empty: no group rule.`}
            errors={messagesFor(state.errors, 'allowedGroups')}
          />
          <TextInput
            label={fieldLabel(props.data, 'groupsClaim')}
            value={groupsClaim}
            onChange={edit(setGroupsClaim)}
            monospace
            helper={help.groupsClaim ?? 'Default groups.'}
            errors={messagesFor(state.errors, 'groupsClaim')}
          />
          <Text as="p" color="color.text.subtle" testId="groups-claim-note">
            {groupsHint}
          </Text>
        </Stack>
      </fieldset>
      <fieldset className="bridge-fieldset">
        <legend>Claims to send</legend>
        <Stack space="space.150">
          <TextInput
            label={fieldLabel(props.data, 'nameIdClaim')}
            value={nameIdClaim}
            onChange={edit(setNameIdClaim)}
            monospace
            helper={help.nameIdClaim ?? 'Default email: what Atlassian Guard expects.'}
            errors={messagesFor(state.errors, 'nameIdClaim')}
          />
          {nameIdClaim.trim() && nameIdClaim.trim() !== 'email' ? (
            <SectionMessage appearance="warning" title="Pick a claim your users cannot change" testId="name-id-claim-warning">
              <p>
                Atlassian signs the user in to the account whose email equals the NameID. The claim {nameIdClaim.trim()} must hold an
                address in an allowed domain (it gets the same checks as the email), and it must be one only your administrators can set:
                if users can edit it at the provider, any of them can sign in as any other.
              </p>
            </SectionMessage>
          ) : null}
          <TextInput
            label={fieldLabel(props.data, 'attributeClaims.givenName')}
            value={givenName}
            onChange={edit(setGivenName)}
            monospace
            errors={messagesFor(state.errors, 'attributeClaims.givenName')}
          />
          <TextInput
            label={fieldLabel(props.data, 'attributeClaims.surname')}
            value={surname}
            onChange={edit(setSurname)}
            monospace
            errors={messagesFor(state.errors, 'attributeClaims.surname')}
          />
          <TextInput
            label={fieldLabel(props.data, 'attributeClaims.displayName')}
            value={displayName}
            onChange={edit(setDisplayName)}
            monospace
            helper="When the claim is missing, the given name and surname are joined."
            errors={messagesFor(state.errors, 'attributeClaims.displayName')}
          />
          <TextInput
            label={fieldLabel(props.data, 'attributeClaims.stableId')}
            value={stableId}
            onChange={edit(setStableId)}
            monospace
            helper="A stable identifier that is not the email (default sub); Guard keeps the account linked when the email changes."
            errors={messagesFor(state.errors, 'attributeClaims.stableId')}
          />
        </Stack>
      </fieldset>

      <Stack space="space.100">
        <Heading size="small" as="h3">
          Preview with the last test login
        </Heading>
        <PreviewView preview={preview?.response} failure={preview?.failure} stale={preview?.forKey !== draftKey} />
      </Stack>

      <StepFooter step="users" state={state} fieldPaths={FIELD_PATHS} onSave={onSave} goTo={props.goTo} onReload={props.reload} />
    </Stack>
  );
}

function PreviewView(props: { preview: UsersPreviewResponse | undefined; failure?: string; stale: boolean }) {
  const { preview } = props;
  if (props.failure) {
    return (
      <SectionMessage appearance="error" title="No preview">
        <p>{props.failure}</p>
      </SectionMessage>
    );
  }
  if (!preview) return <Text color="color.text.subtle">Loading the preview…</Text>;
  if (preview.state === 'no_test') {
    return (
      <SectionMessage appearance="information">
        <p>Run a test login (step 4) to preview these settings on real claims.</p>
      </SectionMessage>
    );
  }
  if (preview.state === 'invalid') return <ErrorList title="These values cannot be used yet" errors={preview.errors} />;
  if (preview.state === 'refused') {
    return (
      <Stack space="space.150">
        <SectionMessage appearance="warning" title={`This user would be refused: ${preview.title}`}>
          <p>{preview.message}</p>
        </SectionMessage>
        <AccessRuleView access={preview.access} />
        <ClaimsTable claims={preview.claims} />
      </Stack>
    );
  }
  return (
    <Stack space="space.150">
      {preview.warnings?.length ? <WarningList title="Not checked yet" warnings={preview.warnings} /> : null}
      <AccessRuleView access={preview.access} />
      <table className="bridge-table" aria-label="Preview with the last test login" aria-busy={props.stale || undefined}>
        <tbody>
          <tr>
            <th scope="row">NameID</th>
            <td>
              <code id="preview-name-id">{preview.nameId}</code>
            </td>
          </tr>
          <tr>
            <th scope="row">NameID format</th>
            <td>
              <code className="bridge-break">{preview.nameIdFormat}</code>
            </td>
          </tr>
          {preview.attributes.map((a) => (
            <tr key={a.name}>
              <th scope="row">
                <code className="bridge-break">{a.name}</code>
              </th>
              <td>
                <code className="bridge-break">{a.values.join(', ')}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <details className="bridge-details">
        <summary>Claims of the last test login</summary>
        <ClaimsTable claims={preview.claims} />
      </details>
    </Stack>
  );
}

/** What the group rule alone says of the test user, in the server's words (`users/preview`). */
function AccessRuleView(props: { access: AccessRulePreview | undefined; refused?: boolean }) {
  const { access } = props;
  if (!access || access.verdict === 'not_checked') return null;
  const title = access.verdict === 'allowed' && props.refused ? 'Allowed groups: this rule alone would let the user in' : 'Allowed groups';
  return (
    <SectionMessage appearance={access.verdict === 'allowed' ? 'success' : 'warning'} title={title} testId="access-rule-preview">
      <p>{access.message}</p>
    </SectionMessage>
  );
}

/** One group per line (names may hold spaces and commas); the ends of each line trimmed, empty lines dropped. */
function splitGroups(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((g) => g.trim())
    .filter(Boolean);
}

/** "example.com, example.org" or one per line → ["example.com", "example.org"]. */
function splitDomains(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((d) => d.trim().replace(/^@/, ''))
    .filter(Boolean);
}
