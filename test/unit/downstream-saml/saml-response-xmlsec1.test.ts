import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BridgeConfig } from '../../../src/core/config.js';
import type { SigningCredentials } from '../../../src/downstream-saml/signing-key.js';
import { mint, mintConfig, mintCredentials, verifyWithNodeSaml, verifyWithXmlCrypto } from '../../support/minted-response.js';

/**
 * xmlsec1 (libxmlsec1 on OpenSSL, Debian's `xmlsec1`) verifies a minted sample: the reference
 * implementation most SAML service providers' stacks descend from, independent of the xmldom
 * world xml-crypto and node-saml share. `.ci/run` installs it; under CI a missing xmlsec1 fails
 * this test, locally it is skipped.
 */

const execFileAsync = promisify(execFile);

function hasXmlsec1(): boolean {
  try {
    execFileSync('xmlsec1', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const available = hasXmlsec1();
const inCi = process.env.CI === 'true';
const itWithXmlsec1 = available || inCi ? it : it.skip;

// SAML's IDs are attributes named ID without a DTD declaring them: xmlsec1 must be told.
const ID_ATTRIBUTES = [
  '--id-attr:ID',
  'urn:oasis:names:tc:SAML:2.0:protocol:Response',
  '--id-attr:ID',
  'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
];
const ASSERTION_SIGNATURE = "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']";
const RESPONSE_SIGNATURE = "/*[local-name()='Response']/*[local-name()='Signature']";

describe('xmlsec1 --verify on a minted response', () => {
  let config: BridgeConfig;
  let credentials: SigningCredentials;
  let directory: string;
  let certificateFile: string;

  beforeAll(async () => {
    config = mintConfig();
    credentials = await mintCredentials();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-xmlsec1-'));
    certificateFile = path.join(directory, 'idp.pem');
    fs.writeFileSync(certificateFile, credentials.certificatePem);
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  /** Runs xmlsec1 on `xml` for the signature at `signatureXPath`; true when it verifies. */
  async function xmlsec1Verifies(xml: string, signatureXPath: string): Promise<boolean> {
    const file = path.join(directory, `response-${Math.random().toString(36).slice(2)}.xml`);
    fs.writeFileSync(file, xml);
    try {
      // --trusted-pem: the self-signed certificate in KeyInfo must be exactly the trusted one.
      await execFileAsync('xmlsec1', ['--verify', ...ID_ATTRIBUTES, '--trusted-pem', certificateFile, '--node-xpath', signatureXPath, file]);
      return true;
    } catch {
      return false;
    }
  }

  itWithXmlsec1('accepts both signatures of a response with awkward and long values, and refuses a changed one', async () => {
    expect({ xmlsec1Installed: available }).toEqual({ xmlsec1Installed: true });
    const awkward = `Zoë "Z" O'Brien & <co> ]]>\t\r\n😀 ${'中é😀&'.repeat(1500)}`;
    const minted = await mint(config, credentials, {
      nameId: 'zoe@example.com',
      attributes: [
        { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', values: [awkward] },
        { name: 'urn:test:groups', values: ['a', 'b & c'] },
      ],
    });
    verifyWithXmlCrypto(minted.xml, credentials);
    await verifyWithNodeSaml(minted.samlResponse, config, credentials);

    expect(await xmlsec1Verifies(minted.xml, RESPONSE_SIGNATURE)).toBe(true);
    expect(await xmlsec1Verifies(minted.xml, ASSERTION_SIGNATURE)).toBe(true);
    // The control: xmlsec1 does check the content.
    const changed = minted.xml.replace('zoe@example.com', 'eve@example.com');
    expect(await xmlsec1Verifies(changed, ASSERTION_SIGNATURE)).toBe(false);
    expect(await xmlsec1Verifies(changed, RESPONSE_SIGNATURE)).toBe(false);
  });
});
