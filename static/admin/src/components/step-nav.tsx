import type { SetupStatus, WizardStep } from '../../../../src/core/admin/admin-api-types.ts';
import { STEPS } from '../wizard-steps.ts';

/** The left-hand list of steps: where the admin is, what is done, and a way to jump anywhere. */
export function StepNav(props: { current: WizardStep; status: SetupStatus; onSelect: (step: WizardStep) => void }) {
  const done = new Set(props.status.completedSteps);
  return (
    <nav className="bridge-nav" aria-label="Setup steps">
      <ol>
        {STEPS.map((step, index) => {
          const isCurrent = step.id === props.current;
          const isDone = done.has(step.id) || (step.id === 'enforce' && props.status.live);
          const isNext = !isDone && step.id === props.status.nextStep;
          return (
            <li key={step.id}>
              <button
                type="button"
                className={`bridge-nav__item${isCurrent ? ' bridge-nav__item--current' : ''}${isDone ? ' bridge-nav__item--done' : ''}`}
                aria-current={isCurrent ? 'step' : undefined}
                onClick={() => props.onSelect(step.id)}
              >
                <span className="bridge-nav__marker" aria-hidden="true">
                  {isDone ? '✓' : index + 1}
                </span>
                <span className="bridge-nav__text">
                  <span className="bridge-nav__title">{step.title}</span>
                  <span className="bridge-nav__summary" aria-hidden="true">
                    {isDone ? 'Done' : isNext ? 'Next' : step.summary}
                  </span>
                </span>
                <span className="bridge-visually-hidden">{isDone ? ' (done)' : isNext ? ' (next)' : ''}</span>
              </button>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
