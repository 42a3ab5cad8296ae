import { describe, it, expect } from '@jest/globals';
import * as client from 'openid-client';
import Provider from 'oidc-provider';
import http from 'node:http';

describe('esm', () => {
  it('discovers a real oidc-provider', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as any).port;
    const issuer = `http://127.0.0.1:${port}`;
    const provider = new Provider(issuer, { clients: [{ client_id: 'c', client_secret: 's'.repeat(32), redirect_uris: ['http://127.0.0.1/cb'] }] });
    server.on('request', provider.callback());
    const cfg = await client.discovery(new URL(issuer), 'c', 's'.repeat(32), undefined, { execute: [client.allowInsecureRequests] });
    expect(cfg.serverMetadata().issuer).toBe(issuer);
    server.close();
  });
});
