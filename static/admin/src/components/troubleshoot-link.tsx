import { Text } from '@atlaskit/primitives';

/** Where an admin who has gone live looks when users report an error at Atlassian: the troubleshooting page. */
export function TroubleshootLink() {
  return (
    <Text as="p">
      Users see an error at Atlassian after signing in? <a href="#troubleshoot">Troubleshoot a sign-in error</a>: paste it and get
      the likely causes, checked against this connection.
    </Text>
  );
}
