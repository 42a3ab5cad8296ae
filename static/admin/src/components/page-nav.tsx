import Button from '@atlaskit/button/new';
import { Inline } from '@atlaskit/primitives';
import type { AdminPage } from '../route.ts';

const PAGES: readonly { page: AdminPage; label: string }[] = [
  { page: 'wizard', label: 'Setup wizard' },
  { page: 'connections', label: 'Connections' },
  { page: 'activity', label: 'Sign-in activity' },
  { page: 'owners', label: 'Owners' },
  { page: 'troubleshoot', label: 'Troubleshoot' },
];

/** The admin page's parts, at the top of every page. */
export function PageNav(props: { current: AdminPage; onSelect: (page: AdminPage) => void }) {
  return (
    <nav aria-label="Admin pages">
      <Inline space="space.050">
        {PAGES.map(({ page, label }) => (
          <Button
            key={page}
            appearance="subtle"
            isSelected={page === props.current}
            aria-current={page === props.current ? 'page' : undefined}
            onClick={() => props.onSelect(page)}
          >
            {label}
          </Button>
        ))}
      </Inline>
    </nav>
  );
}
