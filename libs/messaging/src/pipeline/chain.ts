// Composes steps of the shape (subject, next) into one function, once: each step gets a `next` that runs the rest.

export interface Step<T, R> {
  handle(subject: T, next: () => R): R;
}

export function chain<T, R>(steps: ReadonlyArray<Step<T, R>>, end: (subject: T) => R): (subject: T) => R {
  let run = end;
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i];
    const rest = run;
    run = (subject) => step.handle(subject, () => rest(subject));
  }
  return run;
}
