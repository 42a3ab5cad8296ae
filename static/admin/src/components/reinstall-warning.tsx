import SectionMessage from '@atlaskit/section-message';
import { detectHost } from '../api.ts';

/** Shown before going live: what an uninstall or reinstall does to SSO, and the way back in. */
export function ReinstallWarning() {
  const forge = detectHost() === 'forge';
  return (
    <SectionMessage appearance="warning" title="Uninstalling or reinstalling breaks single sign-on">
      {forge ? (
        <p>
          Uninstalling or reinstalling this app gives it a new web trigger URL and a new signing key (the old settings are not
          restored). Atlassian Guard (SSO URL, Entity ID, certificate) and your provider (redirect URI) must then be set up again, and
          until they are, nobody can sign in with SSO.
        </p>
      ) : (
        <p>
          A new bridge URL or a lost data directory gives the bridge a new address or a new signing key. Atlassian Guard (SSO URL,
          Entity ID, certificate) and your provider (redirect URI) must then be set up again, and until they are, nobody can sign in
          with SSO.
        </p>
      )}
      <p>Keep one admin account outside SSO, so that someone can still sign in and fix it.</p>
    </SectionMessage>
  );
}
