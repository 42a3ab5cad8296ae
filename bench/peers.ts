import { webcrypto } from 'node:crypto';
import { DOMImplementation, DOMParser, XMLSerializer } from '@xmldom/xmldom';
import samlify from 'samlify';
import samlp from 'samlp';
import type { BridgeConfig } from '../src/core/config.js';
import { cryptoRandom } from '../src/core/default-ports.js';
import type { SamlSubject } from '../src/downstream-saml/saml-subject.js';
import { toWebCryptoSigningKey } from '../src/core/key-ring/key-pair.js';
import type { SigningCredentials } from '../src/downstream-saml/signing-key.js';

/**
 * Peer SAML IdP libraries minting the response the bridge mints (the same key, issuer, SP,
 * NameID and attributes; Response and Assertion signed, RSA-SHA256, SHA-256, exclusive C14N),
 * for the benchmark's `peers` figures. Each returns a base64 SAMLResponse, verified by node-saml
 * before it is timed.
 */
export type PeerMint = () => Promise<string>;

export interface PeerContext {
  config: BridgeConfig;
  credentials: SigningCredentials;
  subject: SamlSubject;
  /** One response of the bridge's, for peers that only sign (xmldsigjs). */
  ours: string;
}

const EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';

/** Auth0's samlp (on node-saml's `saml`, which signs with xml-crypto). */
export function samlpPeer({ config, credentials, subject }: PeerContext): PeerMint {
  const claims = Object.fromEntries(subject.attributes.map((a) => [a.name, a.values.length === 1 ? a.values[0]! : [...a.values]]));
  return () =>
    new Promise((resolve, reject) =>
      samlp.getSamlResponse(
        {
          issuer: config.idpEntityId,
          cert: credentials.certificatePem,
          key: credentials.privateKey,
          audience: config.serviceProvider.entityId,
          destination: config.serviceProvider.acsUrl,
          recipient: config.serviceProvider.acsUrl,
          inResponseTo: `_${cryptoRandom.token(16)}`,
          signResponse: true,
          signatureAlgorithm: 'rsa-sha256',
          digestAlgorithm: 'sha256',
          lifetimeInSeconds: config.assertionLifetimeSeconds,
          sessionIndex: `_${cryptoRandom.token(16)}`,
          authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
          profileMapper: () => ({
            getClaims: () => claims,
            getNameIdentifier: () => ({ nameIdentifier: subject.nameId, nameIdentifierFormat: subject.nameIdFormat }),
          }),
        },
        {},
        (error, xml) => (error ? reject(error) : resolve(Buffer.from(xml, 'utf8').toString('base64'))),
      ),
    );
}

/**
 * samlify's `createLoginResponse` with the private key handed over as a parsed KeyObject (its
 * types say PEM; xml-crypto underneath accepts either), attributes through its own
 * AttributeStatement builder and `replaceTagsByValue`.
 */
export function samlifyPeer({ config, credentials, subject }: PeerContext): PeerMint {
  // samlify refuses to run without a schema validator; nothing here is parsed by it.
  samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });
  const attributes = subject.attributes.map((attribute, index) => ({
    name: attribute.name,
    valueTag: `v${index}`,
    nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
    valueXsiType: 'xs:string',
  }));
  const template = samlify.SamlLib.defaultLoginResponseTemplate.context;
  const idp = samlify.IdentityProvider({
    entityID: config.idpEntityId,
    privateKey: credentials.privateKey as unknown as string,
    signingCert: credentials.certificatePem,
    isAssertionEncrypted: false,
    nameIDFormat: [subject.nameIdFormat],
    singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: `${config.baseUrl}/saml/sso` }],
    requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    loginResponseTemplate: { context: template, attributes },
  });
  const sp = samlify.ServiceProvider({
    entityID: config.serviceProvider.entityId,
    wantAssertionsSigned: true,
    wantMessageSigned: true,
    transformationAlgorithms: [ENVELOPED, EXCLUSIVE_C14N],
    assertionConsumerService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: config.serviceProvider.acsUrl }],
  });
  const attributeStatement = samlify.SamlLib.attributeStatementBuilder(attributes);
  const values = Object.fromEntries(subject.attributes.map((attribute, index) => [`attrV${index}`, attribute.values[0] ?? '']));
  return async () => {
    const inResponseTo = `_${cryptoRandom.token(16)}`;
    const now = new Date();
    const later = new Date(now.getTime() + config.assertionLifetimeSeconds * 1000).toISOString();
    const result = await idp.createLoginResponse(
      sp,
      { extract: { request: { id: inResponseTo } } },
      'post',
      { email: subject.nameId },
      (context: string) => ({
        id: '',
        context: samlify.SamlLib.replaceTagsByValue(context.replace('{AttributeStatement}', attributeStatement), {
          ID: `_${cryptoRandom.token(20)}`,
          AssertionID: `_${cryptoRandom.token(20)}`,
          Destination: config.serviceProvider.acsUrl,
          Audience: config.serviceProvider.entityId,
          SubjectRecipient: config.serviceProvider.acsUrl,
          Issuer: config.idpEntityId,
          IssueInstant: now.toISOString(),
          StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
          ConditionsNotBefore: new Date(now.getTime() - config.clockSkewSeconds * 1000).toISOString(),
          ConditionsNotOnOrAfter: later,
          SubjectConfirmationDataNotOnOrAfter: later,
          NameIDFormat: subject.nameIdFormat,
          NameID: subject.nameId,
          InResponseTo: inResponseTo,
          AuthnStatement: `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="_${cryptoRandom.token(16)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
          ...values,
        }),
      }),
    );
    return result.context;
  };
}

/** The part of xmldsigjs (PeculiarVentures, on WebCrypto and xmldom) the peer uses. */
interface XmlDsigJs {
  Application: { setEngine(name: string, crypto: unknown): void };
  setNodeDependencies?(dependencies: Record<string, unknown>): void;
  Parse(xml: string): Document;
  SignedXml: new () => {
    Sign(algorithm: { name: string }, key: unknown, data: Document, options: Record<string, unknown>): Promise<{ GetXml(): Element | null }>;
  };
}

/**
 * xmldsigjs signing the bridge's own unsigned response (it is a signature library, it builds no
 * SAML), the Assertion and then the Response, each Signature moved after its element's Issuer.
 * Null when the package is not installed (it is not a dependency yet).
 */
export async function xmldsigjsPeer({ credentials, ours }: PeerContext): Promise<PeerMint | null> {
  let xmldsig: XmlDsigJs;
  let xmlCore: { setNodeDependencies(dependencies: Record<string, unknown>): void };
  try {
    // Variable specifiers, so that the type checker and bundlers do not require the packages.
    const name = 'xmldsigjs';
    const loaded = (await import(name)) as XmlDsigJs & { default?: XmlDsigJs };
    xmldsig = loaded.default ?? loaded;
    // xmldsigjs takes its DOM from xml-core (its own dependency), set up there.
    const core = 'xml-core';
    xmlCore = (await import(core)) as typeof xmlCore;
  } catch {
    return null;
  }
  // xmldsigjs asks Node for a DOM and XPath; xpath comes with xml-crypto.
  const xpath = ((await import('xpath')) as { default?: unknown }).default;
  xmlCore.setNodeDependencies({ XMLSerializer, DOMParser, DOMImplementation, xpath });
  xmldsig.Application.setEngine('NodeJS', webcrypto);
  const key = await toWebCryptoSigningKey(credentials.privateKey);
  // The bridge's response without its two signatures: the same bytes for every peer to sign.
  const unsigned = Buffer.from(ours, 'base64').toString('utf8').replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, '');
  const serializer = new XMLSerializer();
  const signElement = async (document: Document, element: Element) => {
    const signature = await new xmldsig.SignedXml().Sign({ name: 'RSASSA-PKCS1-v1_5' }, key, document, {
      x509: [credentials.certificateBase64],
      references: [{ uri: `#${element.getAttribute('ID')}`, hash: 'SHA-256', transforms: ['enveloped', 'exc-c14n'] }],
    });
    const signatureXml = signature.GetXml();
    if (!signatureXml) throw new Error('xmldsigjs returned no Signature');
    const node = signatureXml.ownerDocument === document ? signatureXml : (document.importNode(signatureXml, true) as Element);
    const issuer = Array.from(element.childNodes).find((child) => (child as Element).localName === 'Issuer')!;
    element.insertBefore(node, issuer.nextSibling);
  };
  return async () => {
    const document = xmldsig.Parse(unsigned);
    const response = document.documentElement!;
    const assertion = Array.from(response.childNodes).find((child) => (child as Element).localName === 'Assertion') as Element;
    await signElement(document, assertion);
    await signElement(document, response);
    if (document.getElementsByTagNameNS(DS_NS, 'Signature').length !== 2) throw new Error('xmldsigjs: expected two signatures');
    return Buffer.from(serializer.serializeToString(document as never), 'utf8').toString('base64');
  };
}
