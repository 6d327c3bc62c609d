// Injection tokens of the persistence library.

/** The service's DatabaseHandle (PostgreSQL or PGlite, through drizzle). */
export const DATABASE = Symbol('DATABASE');
export const OUTBOX_OPTIONS = Symbol('OUTBOX_OPTIONS');
