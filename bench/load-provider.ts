import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDemoProvider } from '../dev/demo/demo-provider.js';

/**
 * The OpenID provider of `npm run load`, in its own process: the demo provider (oidc-provider,
 * code flow with PKCE, a login form, userinfo) on 127.0.0.1, for one client whose redirect URI
 * the parent passes in LOAD_PROVIDER. Answers `usage` with its peak memory and CPU time.
 */
const { clientId, clientSecret, redirectUri } = JSON.parse(process.env.LOAD_PROVIDER ?? '{}') as Record<string, string>;
const server = http.createServer();
server.keepAliveTimeout = 30_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const provider = await createDemoProvider({
  issuer,
  clients: [{ client_id: clientId!, client_secret: clientSecret!, redirect_uris: [redirectUri!] }],
});
server.on('request', provider.handle);

process.on('message', (message: { id: number; type: string }) => {
  if (message.type === 'usage') {
    const cpu = process.cpuUsage();
    process.send!({ id: message.id, value: { maxRssMb: process.resourceUsage().maxRSS / 1024, cpuMs: (cpu.user + cpu.system) / 1000 } });
  } else if (message.type === 'exit') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
process.send!({ type: 'ready', issuer });
