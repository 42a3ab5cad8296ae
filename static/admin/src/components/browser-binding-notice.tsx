import SectionMessage from '@atlaskit/section-message';
import type { BrowserBindingStatus } from '../../../../src/core/admin/admin-api-types.ts';

function when(at: number | undefined): string {
  return at ? ` (${new Date(at).toLocaleString()})` : '';
}

/** What login CSRF protection off means, in the words the notices share. */
const CSRF_RISK =
  'Someone could trick a user into being signed in to Atlassian as the attacker’s account (login CSRF), and what that user then does would happen in the attacker’s account.';

/**
 * Whether sign-ins are bound to the browser that started them, from what the last connection
 * test saw of the bridge's cookie through this host, in plain words.
 */
export function BrowserBindingNotice({ binding }: { binding: BrowserBindingStatus }) {
  if (binding.offInConfig) {
    return (
      <SectionMessage appearance="warning" title="Login CSRF protection is off in the configuration file">
        <p>
          <code>bindLoginToBrowser</code> is <code>false</code>, so the bridge does not check that a sign-in finishes in the browser that
          started it. {CSRF_RISK}
        </p>
      </SectionMessage>
    );
  }
  if (binding.cookie === 'not_seen') {
    return (
      <SectionMessage appearance="warning" title="Login CSRF protection is off on this host">
        <p>
          The last connection test{when(binding.checkedAt)} found that the bridge’s cookie did not come back through this host. So that
          sign-ins still work, the bridge does not check that a sign-in finishes in the browser that started it. {CSRF_RISK}
        </p>
        <p>
          Run the connection test again after the host changes (for example a Forge platform update, or a proxy that now passes
          cookies): when a test sees the cookie come back, the protection is turned on again.
        </p>
      </SectionMessage>
    );
  }
  if (binding.cookie === 'seen') {
    return (
      <SectionMessage appearance="success" title="Login CSRF protection is on">
        <p>
          The last connection test{when(binding.checkedAt)} saw the bridge’s cookie come back through this host, so every sign-in must
          finish in the browser that started it.
        </p>
      </SectionMessage>
    );
  }
  return (
    <SectionMessage appearance="information" title="Cookies not checked yet">
      <p>
        The connection test also checks that this host passes the bridge’s cookie back. Until a test has checked it, sign-ins must
        finish in the browser that started them; if the host drops cookies they fail with “login_browser_mismatch”, and the test will
        say so.
      </p>
    </SectionMessage>
  );
}
