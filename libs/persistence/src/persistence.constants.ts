// Injection tokens of the persistence library.

/** The service's DatabaseHandle (PostgreSQL or PGlite, through drizzle). */
export const DATABASE = Symbol('DATABASE');
export const OUTBOX_OPTIONS = Symbol('OUTBOX_OPTIONS');
/** The DependencyMonitor of the service's database ("database"): up, or down and why. */
export const DATABASE_AVAILABILITY = Symbol('DATABASE_AVAILABILITY');
