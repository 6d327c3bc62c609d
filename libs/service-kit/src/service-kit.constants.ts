// Injection tokens of the service kit.

export const ADMIN_OPTIONS = Symbol('ADMIN_OPTIONS');
export const INPUT_LIMITS = Symbol('INPUT_LIMITS');
export const OUTAGE_OPTIONS = Symbol('OUTAGE_OPTIONS');
