import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { createDemoProvider, type DemoClient, type DemoProvider } from '../dev/demo/demo-provider.js';
import { cpuMs, serveRequests } from './ipc.js';

/**
 * The OpenID provider of the benchmark, in a process of its own so that its work is not counted
 * as the bridge's: the demo provider (oidc-provider) once over http on 127.0.0.1 for the
 * standalone server, and once over https (a self-signed certificate for 127.0.0.1) for the Forge
 * handler, whose configuration accepts https issuers only.
 */

function selfSignedCertificate(): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey);
  certificate.serialNumber = `01${randomBytes(8).toString('hex')}`;
  certificate.validity.notBefore = new Date(Date.now() - 3600_000);
  certificate.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const subject = [{ name: 'commonName', value: '127.0.0.1' }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { key: privateKey, cert: forge.pki.certificateToPem(certificate) };
}

/**
 * The provider's own time on the bridge's calls of each login, by the login's authorization code:
 * each token and userinfo request from its arrival (headers read) to its answer handed to the OS.
 * A token request is known by the code it redeems, a userinfo request by the access token that
 * redemption issued; no other request carries either, so the browser's are not counted.
 */
const backChannelMs = new Map<string, number>();
const codeOfTokenRequest = new WeakMap<http.IncomingMessage, string>();
const codeOfAccessToken = new Map<string, string>();

function timeBackChannel(req: http.IncomingMessage, res: http.ServerResponse): void {
  const arrivedAt = performance.now();
  const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  res.once('finish', () => {
    const code = codeOfTokenRequest.get(req) ?? (bearer === undefined ? undefined : codeOfAccessToken.get(bearer));
    if (code !== undefined) backChannelMs.set(code, (backChannelMs.get(code) ?? 0) + performance.now() - arrivedAt);
  });
}

const tls = selfSignedCertificate();
const providers: { http?: DemoProvider; https?: DemoProvider } = {};
const notReady = (res: http.ServerResponse) => {
  res.writeHead(503);
  res.end();
};
const plainServer = http.createServer((req, res) => {
  timeBackChannel(req, res);
  if (providers.http) providers.http.handle(req, res);
  else notReady(res);
});
const tlsServer = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => (providers.https ? providers.https.handle(req, res) : notReady(res)));
const listen = (server: http.Server) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(String((server.address() as AddressInfo).port))));
const [plainPort, tlsPort] = await Promise.all([listen(plainServer), listen(tlsServer)]);

serveRequests({
  urls: () => ({ http: `http://127.0.0.1:${plainPort}`, https: `https://127.0.0.1:${tlsPort}`, certificatePem: tls.cert }),
  async configure(request) {
    const { scheme, clients } = request as unknown as { scheme: 'http' | 'https'; clients: DemoClient[] };
    const issuer = scheme === 'http' ? `http://127.0.0.1:${plainPort}` : `https://127.0.0.1:${tlsPort}`;
    const provider = await createDemoProvider({ issuer, clients });
    provider.provider.on('grant.success', (ctx) => {
      const code = ctx.oidc.params?.code;
      const accessToken = (ctx.body as { access_token?: unknown } | undefined)?.access_token;
      if (typeof code !== 'string') return;
      codeOfTokenRequest.set(ctx.req, code);
      if (typeof accessToken === 'string') codeOfAccessToken.set(accessToken, code);
    });
    providers[scheme] = provider;
    return { issuer };
  },
  /** The provider's time on each login's token and userinfo requests so far (ms by code); forgets them. */
  backChannel() {
    const byCode = Object.fromEntries(backChannelMs);
    backChannelMs.clear();
    codeOfAccessToken.clear();
    return byCode;
  },
  usage: () => ({ cpuMs: cpuMs(), rssMb: process.memoryUsage().rss / 2 ** 20 }),
});
