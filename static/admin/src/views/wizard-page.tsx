import { useEffect, useRef } from 'react';
import { DraftBanner } from '../components/draft-banner.tsx';
import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import { Inline, Stack, Text } from '@atlaskit/primitives';
import type { ConnectionSummary, WizardStep } from '../../../../src/core/admin/admin-api-types.ts';
import { ProviderPicker } from '../components/provider-picker.tsx';
import { ReadyLozenge } from '../components/ready-lozenge.tsx';
import { StepNav } from '../components/step-nav.tsx';
import type { StepProps } from '../wizard-context.ts';
import { stepInfo, stepNumber, STEPS } from '../wizard-steps.ts';
import { CallbackStep } from '../steps/callback-step.tsx';
import { EnforceStep } from '../steps/enforce-step.tsx';
import { IdpValuesStep } from '../steps/idp-values-step.tsx';
import { OverviewStep } from '../steps/overview-step.tsx';
import { ProviderStep } from '../steps/provider-step.tsx';
import { SpValuesStep } from '../steps/sp-values-step.tsx';
import { TestStep } from '../steps/test-step.tsx';
import { UsersStep } from '../steps/users-step.tsx';

/**
 * The setup wizard of one connection: the step list, the step, and for the provider steps the
 * provider it is about. `generation` changes when the admin reloads after a conflict, so the
 * step starts over from the values another administrator saved.
 */
export function WizardPage(props: {
  step: WizardStep;
  wizard: StepProps;
  generation: number;
  /** A different connection or provider is loading: what shows is about to be replaced. */
  busy: boolean;
  onSelectProvider: (providerId: string) => void;
  onConnectionsChanged: (connections: ConnectionSummary[], selectProvider?: string) => void;
  onOpenConnections: () => void;
}) {
  const { step, wizard } = props;
  const { connection, providerId } = wizard.data;
  // After choosing a step, focus goes to its heading: a keyboard or screen-reader user lands on
  // the step (and on a narrow screen, where the list fills the view, the step scrolls into it).
  const shownStep = useRef(step);
  useEffect(() => {
    if (shownStep.current === step) return;
    shownStep.current = step;
    const heading = document.getElementById('step-heading');
    // Atlaskit's Heading takes no tabIndex; -1 makes it focusable from script only, not a tab stop.
    heading?.setAttribute('tabindex', '-1');
    heading?.focus();
  }, [step]);
  return (
    <div className="bridge-layout">
      <StepNav current={step} status={wizard.data.status} onSelect={wizard.goTo} />
      <main className="bridge-main" aria-labelledby="step-heading" aria-busy={props.busy || undefined}>
        <Stack space="space.250">
          <Stack space="space.050">
            <Inline space="space.100" alignBlock="center" shouldWrap>
              <Text size="small" color="color.text.subtle">
                Connection <strong>{connection.name}</strong>
              </Text>
              <ReadyLozenge ready={connection.ready} />
              {wizard.data.connections.length > 1 ? (
                <Button appearance="subtle" spacing="compact" onClick={props.onOpenConnections}>
                  Switch connection
                </Button>
              ) : null}
            </Inline>
            <Text size="small" color="color.text.subtle">
              Step {stepNumber(step)} of {STEPS.length}
            </Text>
            <Heading size="large" as="h2" id="step-heading">
              {stepInfo(step).title}
            </Heading>
          </Stack>
          <DraftBanner {...wizard} />
          {stepInfo(step).perProvider ? (
            <ProviderPicker
              key={`${step}/${connection.id}/${providerId}`}
              data={wizard.data}
              step={step}
              onSelect={props.onSelectProvider}
              onChanged={props.onConnectionsChanged}
              onReload={wizard.reload}
            />
          ) : null}
          <StepBody key={`${step}/${connection.id}/${providerId}/${props.generation}`} step={step} props={wizard} />
        </Stack>
      </main>
    </div>
  );
}

/** `key` (set by the page) resets a step's draft when the admin comes back to it or picks another provider. */
function StepBody({ step, props }: { step: WizardStep; props: StepProps }) {
  switch (step) {
    case 'overview':
      return <OverviewStep {...props} />;
    case 'callback':
      return <CallbackStep {...props} />;
    case 'provider':
      return <ProviderStep {...props} />;
    case 'test':
      return <TestStep {...props} />;
    case 'idp-values':
      return <IdpValuesStep {...props} />;
    case 'sp-values':
      return <SpValuesStep {...props} />;
    case 'users':
      return <UsersStep {...props} />;
    case 'enforce':
      return <EnforceStep {...props} />;
  }
}
