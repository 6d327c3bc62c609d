// Injection tokens of the service kit.

export const ADMIN_OPTIONS = Symbol('ADMIN_OPTIONS');
