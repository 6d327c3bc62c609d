// Types of request-driver.js for the TypeScript workers.
export function driveRequests(send: (seq: number) => Promise<{ seq: number } | undefined>, env?: NodeJS.ProcessEnv): Promise<void>;
