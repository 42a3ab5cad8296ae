import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';

/** Where the provider step stands with Forge's customer-managed egress for the provider's hosts. */
export type EgressStatus =
  | { status: 'checking'; hosts: string[] }
  /** `hosts` still to approve; `approved` are in the group already (a group is set whole). */
  | { status: 'needed'; hosts: string[]; approved: string[] }
  | { status: 'requesting'; hosts: string[]; approved: string[] }
  | { status: 'approved'; hosts: string[] }
  | { status: 'denied'; hosts: string[]; approved: string[]; detail: string }
  | { status: 'unavailable'; hosts: string[]; detail: string };

const EARLY_ACCESS = 'Customer-managed egress is an early-access (EAP) feature of Forge.';

function HostList({ hosts }: { hosts: string[] }) {
  return (
    <>
      {hosts.map((host, i) => (
        <span key={host}>
          {i ? ', ' : ''}
          <code className="bridge-break">{host}</code>
        </span>
      ))}
    </>
  );
}

/**
 * The approval of provider hosts no static remote of the app covers. On Forge the app may call
 * only hosts it declares or an admin approved; anything else is answered with HTTP 403.
 */
export function EgressApproval(props: { egress: EgressStatus; onApprove: () => void }) {
  const { egress } = props;
  const approveButton = (label: string) => (
    <Button key="approve" appearance="primary" onClick={props.onApprove} isLoading={egress.status === 'requesting'}>
      {label}
    </Button>
  );
  switch (egress.status) {
    case 'checking':
      return null;
    case 'needed':
    case 'requesting':
      return (
        <SectionMessage appearance="information" title="Approve access to your provider" actions={[approveButton('Approve access')]}>
          <p>
            On Forge the app may call only the provider hosts it declares (Okta, Entra ID, Google, Auth0, OneLogin, PingOne) and hosts a site
            administrator approved. <HostList hosts={egress.hosts} /> is not one of them yet. <strong>Approve access</strong> asks Atlassian to
            allow it: Atlassian shows you what the app will be allowed to call, and you confirm.
          </p>
          <p>{EARLY_ACCESS}</p>
        </SectionMessage>
      );
    case 'approved':
      return (
        <SectionMessage appearance="success" title="Access approved">
          <p>
            The app may call <HostList hosts={egress.hosts} />: a site administrator approved it for this site (customer-managed egress,
            early access on Forge).
          </p>
        </SectionMessage>
      );
    case 'denied':
      return (
        <SectionMessage appearance="warning" title="Access not approved" actions={[approveButton('Ask again')]}>
          <p>
            Forge keeps blocking the app’s calls to <HostList hosts={egress.hosts} />: they come back as HTTP 403, so discovery fails and so
            does every sign-in through this provider, until the host is approved. Only a site administrator can approve it: <strong>Ask
            again</strong> shows Atlassian’s confirmation once more.
          </p>
          {egress.detail ? <p>Forge said: {egress.detail}</p> : null}
          <p>{EARLY_ACCESS}</p>
        </SectionMessage>
      );
    case 'unavailable':
      return (
        <SectionMessage appearance="warning" title="Approval not available">
          <p>
            The app cannot ask for access to <HostList hosts={egress.hosts} /> here: Forge’s customer-managed egress is not available for this
            installation. Calls to this host come back as HTTP 403 unless access is granted, so discovery and sign-ins through this provider
            fail. Use a provider host the app declares, or ask the app’s vendor.
          </p>
          {egress.detail ? <p>Forge said: {egress.detail}</p> : null}
          <p>{EARLY_ACCESS}</p>
        </SectionMessage>
      );
  }
}
