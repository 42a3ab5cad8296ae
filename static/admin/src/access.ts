import { createContext, useContext } from 'react';

/**
 * Whether the admin on this page may change the settings: only SSO owners may (the server
 * refuses everyone else, `RESOLVER_ACCESS` in src/core/admin/admin-resolvers.ts). For the others
 * every input is read-only and no save button shows; the connection test still runs.
 */
export const ReadOnlyContext = createContext(false);

export function useReadOnly(): boolean {
  return useContext(ReadOnlyContext);
}
