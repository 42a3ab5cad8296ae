/**
 * The Forge entry points named in manifest.yml (`index.bridgeTrigger`, `index.adminResolver`).
 *
 * Forge's bundler builds this file with its own webpack configuration, which cannot resolve the
 * TypeScript sources' `./x.js` specifiers, so `npm run build:forge` first compiles `src` to
 * `build/app` and this plain file loads that output. It loads it lazily, with a literal
 * `import()`: webpack turns that into a chunk of its own, so the top-level `await` inside
 * libxml2-wasm makes only that chunk asynchronous. Imported statically, it would turn this whole
 * entry into an async module, and the runtime would find no exported handlers.
 */

/** @type {Promise<typeof import('../build/app/forge/index.js')> | undefined} */
let handlers;

// A cache that is safe to lose: a cold instance loads the handlers again.
const loadHandlers = () => (handlers ??= import('../build/app/forge/index.js'));

/** The web trigger (the SSO URL, the OIDC callback, the metadata and health routes). */
export async function bridgeTrigger(event, context) {
  return (await loadHandlers()).bridgeTrigger(event, context);
}

/** The resolvers behind the admin page (`@forge/resolver` definitions). */
export async function adminResolver(request, context) {
  return (await loadHandlers()).adminResolver(request, context);
}
