// Injection tokens of scheduling.
export const SCHEDULING_OPTIONS = Symbol('SCHEDULING_OPTIONS');
