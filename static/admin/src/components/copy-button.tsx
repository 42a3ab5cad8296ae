import { useEffect, useState } from 'react';
import Button from '@atlaskit/button/new';

/**
 * Copies `text`; `what` names the value for screen readers ("Copy ACS URL"). The name comes
 * from hidden text, not `aria-label`, so that looking a field up by its label (as tests and
 * assistive tools do) finds the field and not its copy button.
 */
export function CopyButton(props: { text: string; what: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <Button
      onClick={async () => setState((await copyText(props.text)) ? 'copied' : 'failed')}
      isDisabled={!props.text}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy by hand' : 'Copy'}
      <span className="bridge-visually-hidden"> {props.what}</span>
    </Button>
  );
}

/**
 * The asynchronous clipboard API, else the old `execCommand('copy')` on a hidden textarea,
 * which still works inside an iframe that was not granted `clipboard-write` (Forge's).
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Denied or not allowed in this frame: fall back.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.top = '-1000px';
  area.style.opacity = '0';
  document.body.appendChild(area);
  const selection = document.getSelection();
  const previous = selection && selection.rangeCount > 0 ? selection.getRangeAt(0) : undefined;
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  if (previous && selection) {
    selection.removeAllRanges();
    selection.addRange(previous);
  }
  return ok;
}
