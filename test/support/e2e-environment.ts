// Jest environment of the end-to-end specs (`@jest-environment <rootDir>/test/support/e2e-environment.ts`): Node's,
// plus a call to the spec's failure hook (ServiceProcesses) as soon as a test or hook fails, timeouts included, so
// that the output of the app processes is shown next to the failure.
import { TestEnvironment } from 'jest-environment-node';
import type { Circus } from '@jest/types';

const FAILURE_HOOK = '__e2eOnFailure';

export default class E2EEnvironment extends TestEnvironment {
  async handleTestEvent(event: Circus.Event): Promise<void> {
    if (event.name !== 'test_fn_failure' && event.name !== 'hook_failure') return;
    const onFailure = this.global[FAILURE_HOOK];
    if (typeof onFailure !== 'function') return;
    const what = event.name === 'test_fn_failure' ? `test "${event.test.name}"` : `${event.hook.type} hook`;
    (onFailure as (what: string) => void)(what);
  }
}
