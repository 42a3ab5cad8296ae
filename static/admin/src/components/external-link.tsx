import type { ReactNode } from 'react';
import { openInNewTab } from '../api.ts';

/** A link that opens in a new tab; on Forge through the host's router (the iframe is sandboxed). */
export function ExternalLink(props: { href: string; children: ReactNode }) {
  return (
    <a
      href={props.href}
      target="_blank"
      rel="noopener noreferrer"
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        void openInNewTab(props.href);
      }}
    >
      {props.children}
    </a>
  );
}
