// Types of worker-link.js (the worker's end of the bench's line protocol).
export type WorkerMemory = {
  rssMb: number;
  heapUsedMb: number;
};
export function emit(event: string, data?: Record<string, unknown>): void;
export function loaded(): Promise<void>;
export function onStop(handler: () => Promise<unknown>): void;
export function on(command: string, handler: () => void): void;
export function memory(): WorkerMemory;
export function fail(error: unknown): void;
