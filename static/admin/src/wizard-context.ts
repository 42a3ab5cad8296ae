import type {
  ConfigGetResponse,
  ConfigSaveRequest,
  ConfigSaveResponse,
  TestResultResponse,
  WizardStep,
} from '../../../src/core/admin/admin-api-types.ts';
import type { Host } from './api.ts';

/** The connection and provider the wizard shows; every resolver call about them names both. */
export interface WizardTarget {
  connectionId: string;
  providerId: string;
}

/** The target of the loaded data: what the page shows is what its calls are about. */
export function targetOf(data: ConfigGetResponse): WizardTarget {
  return { connectionId: data.connection.id, providerId: data.providerId };
}

/** The last test login, kept so the users step can preview the mapping against its claims. */
export interface LastTest {
  testId: string;
  /** Which provider was tested: a test of another one says nothing about this one's claims. */
  target?: WizardTarget;
  result: TestResultResponse;
}

/** What every step receives from the wizard shell. */
export interface StepProps {
  data: ConfigGetResponse;
  host: Host;
  /** `targetOf(data)`, for the step's own resolver calls. */
  target: WizardTarget;
  goTo(step: WizardStep): void;
  /**
   * Saves (settings merge into the saved ones) at the revision the page shows, and reloads the
   * configuration on success. A `conflict` answer is returned as it is: the step says so.
   */
  save(request: ConfigSaveRequest): Promise<ConfigSaveResponse>;
  /** Reloads `config/get`, keeping what the steps show. */
  refresh(): Promise<void>;
  /** Reloads `config/get` and starts the step over from the saved values (after a conflict). */
  reload(): Promise<void>;
  /** Replaces the loaded data after a resolver that returns fresh status (rollout/save). */
  update(change: (data: ConfigGetResponse) => ConfigGetResponse): void;
  lastTest: LastTest | undefined;
  setLastTest(test: LastTest | undefined): void;
}
