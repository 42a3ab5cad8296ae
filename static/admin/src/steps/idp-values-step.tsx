import { useState } from 'react';
import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import { Inline, Stack, Text } from '@atlaskit/primitives';
import { invokeResolver } from '../api.ts';
import type { StepProps } from '../wizard-context.ts';
import { TextArea, TextInput } from '../components/field.tsx';
import { CopyButton } from '../components/copy-button.tsx';
import { ContinueButton } from '../components/continue-button.tsx';
import { ExternalLink } from '../components/external-link.tsx';
import { downloadText } from '../download.ts';
import { SigningCertificate } from '../components/signing-certificate.tsx';

const GUARD_IDP_URL = 'https://admin.atlassian.com/';
const GUARD_DOC_URL = 'https://support.atlassian.com/security-and-access-policies/docs/configure-saml-single-sign-on-with-an-identity-provider/';

/** Step 5: the bridge's IdP values, which Guard asks for before it shows its own. */
export function IdpValuesStep(props: StepProps) {
  const { idpEntityId, ssoUrl, certificatePem, metadataUrl } = props.data.bridge;
  const [download, setDownload] = useState<{ busy: boolean; failure?: string }>({ busy: false });

  // Through the resolver, so it works on Forge too, where a cross-origin link cannot download.
  async function downloadMetadata() {
    setDownload({ busy: true });
    try {
      const { xml, fileName } = await invokeResolver('idp/metadata', props.target);
      downloadText(xml, fileName || 'idp-metadata.xml', 'application/samlmetadata+xml');
      setDownload({ busy: false });
    } catch (error) {
      setDownload({ busy: false, failure: error instanceof Error ? error.message : String(error) });
    }
  }
  return (
    <Stack space="space.300">
      <Text as="p">
        In Atlassian Administration open <strong>Security → Identity providers</strong>, choose <strong>Other provider</strong>, name
        the directory, then <strong>Set up SAML single sign-on</strong>. Guard asks for these three values first; only then does it show
        its own (step 6).
      </Text>
      <TextInput
        label="IdP Entity ID"
        value={idpEntityId}
        readOnly
        monospace
        after={<CopyButton text={idpEntityId} what="IdP Entity ID" />}
      />
      <TextInput label="IdP SSO URL" value={ssoUrl} readOnly monospace after={<CopyButton text={ssoUrl} what="IdP SSO URL" />} />
      <TextArea
        label="X.509 certificate"
        value={certificatePem}
        readOnly
        rows={8}
        helper="Paste it whole, with the BEGIN and END lines; copy it with the button so no stray spaces slip in."
        after={<CopyButton text={certificatePem} what="X.509 certificate" />}
      />
      <Stack space="space.100">
        <Inline space="space.150" alignBlock="center">
          <Button onClick={downloadMetadata} isLoading={download.busy}>
            Download IdP metadata XML
          </Button>
          <Text>
            or its address:{' '}
            <a href={metadataUrl} download="idp-metadata.xml" target="_blank" rel="noopener noreferrer" className="bridge-break">
              {metadataUrl}
            </a>
          </Text>
        </Inline>
        {download.failure ? (
          <SectionMessage appearance="error" title="Download failed">
            <p>{download.failure}</p>
          </SectionMessage>
        ) : null}
      </Stack>
      <SigningCertificate {...props} />
      <SectionMessage appearance="discovery" title="Where in Atlassian Guard">
        <p>
          <ExternalLink href={GUARD_IDP_URL}>Atlassian Administration</ExternalLink> → Security → Identity providers → Other provider →
          Set up SAML single sign-on. <ExternalLink href={GUARD_DOC_URL}>Atlassian’s guide</ExternalLink>.
        </p>
      </SectionMessage>
      <ContinueButton step="idp-values" wizard={props} label="Done, continue" />
    </Stack>
  );
}
