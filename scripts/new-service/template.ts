// Renders the generator's templates: `{{key}}` placeholders in file names and contents, `.tpl` dropped from names.
// A placeholder without a value is an error, so that nothing half-rendered is ever written.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export type TemplateValues = Readonly<Record<string, string>>;

const PLACEHOLDER = /\{\{(\w+)\}\}/g;
const TEMPLATE_SUFFIX = '.tpl';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** `text` with every `{{key}}` replaced by its value; `where` names the template in the error. */
export function renderTemplate(text: string, values: TemplateValues, where = 'template'): string {
  const missing = new Set<string>();
  const rendered = text.replace(PLACEHOLDER, (placeholder, key: string) => {
    if (Object.hasOwn(values, key)) return values[key];
    missing.add(key);
    return placeholder;
  });
  if (missing.size > 0) throw new TemplateError(`${where} has placeholders without a value: ${[...missing].join(', ')}`);
  return rendered;
}

/** Every file under `folder`, rendered: relative path (with `/`) -> content, in path order. */
export function renderTemplateFolder(folder: string, values: TemplateValues): Map<string, string> {
  const files = new Map<string, string>();
  for (const file of listFiles(folder)) {
    const templatePath = relative(folder, file).split(sep).join('/');
    const path = renderTemplate(templatePath, values, `the file name ${templatePath}`).replace(/\.tpl$/, '');
    files.set(path, renderTemplate(readFileSync(file, 'utf8'), values, templatePath));
  }
  return files;
}

/** One template file, rendered. */
export function renderTemplateFile(file: string, values: TemplateValues): string {
  return renderTemplate(readFileSync(file, 'utf8'), values, file);
}

function listFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return listFiles(path);
      return entry.name.endsWith(TEMPLATE_SUFFIX) ? [path] : [];
    });
}
