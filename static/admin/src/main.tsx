import '@atlaskit/css-reset';
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { setGlobalTheme } from '@atlaskit/tokens/set-global-theme';
import { App } from './app.tsx';
import { enableHostTheme } from './api.ts';

// On Forge the host's theme (light or dark, as Jira or Confluence shows it); on the standalone
// server Atlassian's light theme.
void enableHostTheme().then((enabled) => {
  if (!enabled) return setGlobalTheme({ colorMode: 'light' });
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
