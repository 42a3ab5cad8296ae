import { useId, useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface Tab<V extends string> {
  value: V;
  label: string;
}

/**
 * WAI-ARIA tabs (Atlaskit's tabs package is not among the dependencies): arrow keys move
 * between the tabs, and only the selected one is in the tab order.
 */
export function Tabs<V extends string>(props: { label: string; tabs: readonly Tab<V>[]; value: V; onChange: (value: V) => void; children: ReactNode }) {
  const id = useId();
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const index = props.tabs.findIndex((t) => t.value === props.value);

  function onKeyDown(event: KeyboardEvent) {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = (index + step + props.tabs.length) % props.tabs.length;
    props.onChange(props.tabs[next]!.value);
    refs.current[next]?.focus();
  }

  return (
    <div>
      <div role="tablist" aria-label={props.label} className="bridge-tabs" onKeyDown={onKeyDown}>
        {props.tabs.map((tab, i) => (
          <button
            key={tab.value}
            ref={(element) => {
              refs.current[i] = element;
            }}
            type="button"
            role="tab"
            id={`${id}-tab-${i}`}
            aria-selected={i === index}
            aria-controls={`${id}-panel`}
            tabIndex={i === index ? 0 : -1}
            className={`bridge-tabs__tab${i === index ? ' bridge-tabs__tab--selected' : ''}`}
            onClick={() => props.onChange(tab.value)}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${index}`} className="bridge-tabs__panel">
        {props.children}
      </div>
    </div>
  );
}
