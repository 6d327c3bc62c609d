// Test helper: validates data against a contract class with the exact options libs/messaging uses, and flattens
// the errors to dotted paths the same way, so the specs here assert what a consumer will actually report.
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';

export interface Issue {
  path: string;
  reasons: string[];
}

export interface ValidationOutcome<T> {
  instance: T;
  issues: Issue[];
}

export async function validateLikeLibrary<T extends object>(
  type: new () => T,
  data: object,
  unknownFields: 'strip' | 'reject' = 'strip',
): Promise<ValidationOutcome<T>> {
  const instance = plainToInstance(type, data);
  const errors = await validate(instance, {
    whitelist: true,
    forbidNonWhitelisted: unknownFields === 'reject',
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  return { instance, issues: flatten(errors) };
}

/** The reasons reported at one path, or [] when that path is fine. */
export function reasonsAt(issues: Issue[], path: string): string[] {
  return issues.filter((issue) => issue.path === path).flatMap((issue) => issue.reasons);
}

function flatten(errors: ValidationError[], parent = ''): Issue[] {
  const issues: Issue[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) issues.push({ path, reasons: Object.values(error.constraints) });
    if (error.children?.length) issues.push(...flatten(error.children, path));
  }
  return issues;
}
