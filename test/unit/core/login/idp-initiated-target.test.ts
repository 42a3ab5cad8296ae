import { describe, expect, it } from '@jest/globals';
import { IDP_TARGET_MESSAGES, idpInitiatedTarget } from '../../../../src/core/login/steps/idp-initiated-target.js';

/**
 * The RelayState an IdP-initiated login names (no service provider asked for it): Atlassian's
 * start page, or a page of the connection's own site, by exact host. The login start applies
 * this to whatever is stored, which may predate a change of the site URL or of the file schema.
 */
const SITE = 'https://acme.atlassian.net';

describe('idpInitiatedTarget', () => {
  it.each([
    ['nothing set: the default', {}, 'https://start.atlassian.com'],
    ['the default spelled out', { relayState: 'https://start.atlassian.com' }, 'https://start.atlassian.com'],
    ['a page of start.atlassian.com, with or without a site', { relayState: 'https://start.atlassian.com/?x=1' }, 'https://start.atlassian.com/?x=1'],
    ['a Jira page of the own site', { relayState: `${SITE}/jira/your-work`, siteUrl: SITE }, `${SITE}/jira/your-work`],
    ['a Confluence page of the own site', { relayState: `${SITE}/wiki/home`, siteUrl: SITE }, `${SITE}/wiki/home`],
    ['the site itself, host in capitals', { relayState: 'https://ACME.atlassian.net', siteUrl: SITE }, `${SITE}/`],
    ['port 443 written out (the same origin)', { relayState: `https://acme.atlassian.net:443/jira`, siteUrl: SITE }, `${SITE}/jira`],
  ])('accepts %s', (_name, setting, relayState) => {
    expect(idpInitiatedTarget(setting)).toEqual({ ok: true, relayState });
  });

  it.each([
    ['plain http', { relayState: 'http://acme.atlassian.net/jira', siteUrl: SITE }, 'not_atlassian_url'],
    ['a user name', { relayState: 'https://user@acme.atlassian.net/jira', siteUrl: SITE }, 'not_atlassian_url'],
    ['a user name and password', { relayState: 'https://u:p@acme.atlassian.net/jira', siteUrl: SITE }, 'not_atlassian_url'],
    ['a password alone', { relayState: 'https://:p@acme.atlassian.net/jira', siteUrl: SITE }, 'not_atlassian_url'],
    ['a tab inside', { relayState: 'https://acme.atlassian.net/ji\tra', siteUrl: SITE }, 'not_atlassian_url'],
    ['another port', { relayState: 'https://acme.atlassian.net:8443/jira', siteUrl: SITE }, 'not_atlassian_url'],
    ['a fragment', { relayState: `${SITE}/jira#x`, siteUrl: SITE }, 'not_atlassian_url'],
    ['an empty fragment', { relayState: `${SITE}/jira#`, siteUrl: SITE }, 'not_atlassian_url'],
    ['a backslash', { relayState: 'https://acme.atlassian.net\\@evil.example/', siteUrl: SITE }, 'not_atlassian_url'],
    ['a host outside Atlassian', { relayState: 'https://evil.example/jira', siteUrl: SITE }, 'not_atlassian_url'],
    ['a host that only starts like the site', { relayState: 'https://acme.atlassian.net.evil.example/', siteUrl: SITE }, 'not_atlassian_url'],
    ['another Atlassian site', { relayState: 'https://evil.atlassian.net/jira', siteUrl: SITE }, 'foreign_site'],
    ['a site page while no site is set', { relayState: `${SITE}/jira` }, 'no_site'],
    ['a site page while the site is not an Atlassian site', { relayState: `${SITE}/jira`, siteUrl: 'https://evil.example' }, 'no_site'],
    ['a page whose normalized form is over 2048 characters', { relayState: `${SITE}/${'é'.repeat(1000)}`, siteUrl: SITE }, 'not_atlassian_url'],
    ['a javascript: URL', { relayState: 'javascript:alert(1)', siteUrl: SITE }, 'not_atlassian_url'],
  ])('refuses %s', (_name, setting, reason) => {
    expect(idpInitiatedTarget(setting)).toEqual({ ok: false, reason });
  });

  it.each([
    ['/jira/software/projects', `${SITE}/jira/software/projects`],
    ['/wiki/spaces/ENG?x=1', `${SITE}/wiki/spaces/ENG?x=1`],
    ['/jira/../wiki', `${SITE}/wiki`],
  ])('resolves the target path %s against the own site', (path, relayState) => {
    expect(idpInitiatedTarget({ siteUrl: SITE, relayState: 'https://start.atlassian.com' }, path)).toEqual({ ok: true, relayState });
  });

  it.each([
    ['https://evil.example/', 'path_invalid'],
    [`${SITE}/jira`, 'path_invalid'],
    ['//evil.example/', 'path_invalid'],
    ['/\\evil.example/', 'path_invalid'],
    ['jira', 'path_invalid'],
    ['/jira#x', 'path_invalid'],
    ['/ji\nra', 'path_invalid'],
  ])('refuses the target path %j', (path, reason) => {
    expect(idpInitiatedTarget({ siteUrl: SITE }, path)).toEqual({ ok: false, reason });
  });

  it('refuses any target path while the connection names no site', () => {
    expect(idpInitiatedTarget({}, '/jira')).toEqual({ ok: false, reason: 'no_site' });
  });
});

describe('edges of the stored values', () => {
  it('takes a landing page of only spaces as none: the default start page', () => {
    expect(idpInitiatedTarget({ relayState: '   ' })).toEqual({ ok: true, relayState: 'https://start.atlassian.com' });
  });

  it('does not take https://start.atlassian.com as the connection\'s site: no target path lands there', () => {
    expect(idpInitiatedTarget({ siteUrl: 'https://start.atlassian.com' }, '/jira')).toEqual({ ok: false, reason: 'no_site' });
  });

  it('has a message for the admin for every refusal, naming what is allowed', () => {
    for (const message of Object.values(IDP_TARGET_MESSAGES)) expect(message).toMatch(/allowed|Enter https:\/\/start\.atlassian\.com/);
    expect(IDP_TARGET_MESSAGES.foreign_site).toContain('not on your Atlassian site');
    expect(IDP_TARGET_MESSAGES.no_site).toContain('Atlassian site URL');
    expect(IDP_TARGET_MESSAGES.path_invalid).toContain('path');
  });
});
