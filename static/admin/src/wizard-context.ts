import type {
  ConfigGetResponse,
  ConfigSaveRequest,
  ConfigSaveResponse,
  TestResultResponse,
  WizardStep,
} from '../../../src/core/admin/admin-api-types.ts';
import type { Host } from './api.ts';

/** The last test login, kept so the users step can preview the mapping against its claims. */
export interface LastTest {
  testId: string;
  result: TestResultResponse;
}

/** What every step receives from the wizard shell. */
export interface StepProps {
  data: ConfigGetResponse;
  host: Host;
  goTo(step: WizardStep): void;
  /** Saves (settings merge into the saved ones) and reloads the configuration on success. */
  save(request: ConfigSaveRequest): Promise<ConfigSaveResponse>;
  /** Reloads `config/get`. */
  refresh(): Promise<void>;
  /** Replaces the loaded data after a resolver that returns fresh status (rollout/save). */
  update(change: (data: ConfigGetResponse) => ConfigGetResponse): void;
  lastTest: LastTest | undefined;
  setLastTest(test: LastTest | undefined): void;
}
