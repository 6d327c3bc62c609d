// Configuration errors: thrown at start, each naming where the wrong value came from (an environment variable or an
// option given in code). A service's main.ts recognises them by class (ConfigError) and stops with one line.

/** A configuration value is wrong. Subclasses name its source; the message is one line, fit to print as it is. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
}

/** An environment variable holds a value that cannot be used: the message names it, its value and the form it accepts. */
export class EnvConfigError extends ConfigError {
  override readonly name: string = 'EnvConfigError';
  constructor(
    readonly variable: string,
    /** The value as shown in the message: passwords hidden, long values cut. */
    readonly shownValue: string,
    readonly problem: string,
  ) {
    super(`${variable}=${JSON.stringify(shownValue)} ${problem}`);
  }
}

/** Options given to the library in code are wrong; thrown at start, naming the key. */
export class MessagingConfigError extends ConfigError {
  override readonly name: string = 'MessagingConfigError';
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`Invalid messaging option "${key}": ${problem}`);
  }
}
