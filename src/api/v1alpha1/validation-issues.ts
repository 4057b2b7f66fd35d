import type { TSchema } from 'typebox';
import type { TLocalizedValidationError } from 'typebox/error';
import { Pointer, Value } from 'typebox/value';
import { CEL_VALIDATIONS, type CelValidation } from './cross-field-rule.ts';

/** One problem with a manifest: the field, in Kubernetes' notation, and what is wrong with it. */
export interface Issue {
  path: string;
  message: string;
}

/**
 * Validates `value` against `schema` and says what is wrong, one issue per field, in the words
 * `kubectl` users know. Messages never contain the offending value: a manifest may sit next to
 * secrets, and an unknown field may be a misplaced one.
 */
export function validationIssues(schema: TSchema, value: unknown): Issue[] {
  const byPath = new Map<string, string[]>();
  const add = (path: string, message: string) => {
    const messages = byPath.get(path) ?? [];
    if (!messages.includes(message)) messages.push(message);
    byPath.set(path, messages);
  };
  const errors = Value.Errors(schema, value);
  // "must be a string" adds nothing to "must be one of …".
  const enumPaths = new Set(errors.filter((e) => e.keyword === 'enum').map((e) => e.instancePath));
  for (const error of errors) {
    // An anyOf error stands for the errors of its branches.
    if (error.schemaPath.includes('/anyOf/')) continue;
    if (error.keyword === 'type' && enumPaths.has(error.instancePath)) continue;
    const path = fieldPath(Pointer.Indices(error.instancePath));
    switch (error.keyword) {
      case 'required':
        for (const name of error.params.requiredProperties) add(join(path, name), 'is required');
        break;
      case 'additionalProperties':
        for (const name of error.params.additionalProperties) add(join(path, name), 'is not a known field');
        break;
      case 'boolean':
        // `additionalProperties: false` reports each extra field once more as "schema is false".
        if (!error.schemaPath.endsWith('/additionalProperties')) add(path, error.message);
        break;
      case '~refine': {
        const rule = celRuleOf(schema, error);
        add(path + (rule?.fieldPath ?? ''), error.params.message);
        break;
      }
      default:
        add(path, messageOf(error, Pointer.Get(value, error.instancePath)));
    }
  }
  return [...byPath].flatMap(([path, messages]) => messages.map((message) => ({ path, message })));
}

function messageOf(error: TLocalizedValidationError, actual: unknown): string {
  switch (error.keyword) {
    case 'type':
      return `must be ${withArticle(String(error.params.type))}`;
    case 'enum':
      return `must be one of ${error.params.allowedValues.join(', ')}${typeof actual === 'string' ? '' : ' (a string: quote it in YAML)'}`;
    case 'const':
      return `must be ${String(error.params.allowedValue)}`;
    case 'minimum':
      return `must be at least ${error.params.limit}`;
    case 'maximum':
      return `must be at most ${error.params.limit}`;
    case 'minLength':
      return error.params.limit === 1
        ? 'must not be empty'
        : `must be at least ${error.params.limit} characters`;
    case 'maxLength':
      return `must be at most ${error.params.limit} characters`;
    case 'minItems':
      return `must have at least ${items(error.params.limit)}`;
    case 'maxItems':
      return `must have at most ${items(error.params.limit)}`;
    case 'pattern':
      return `must match ${error.params.pattern}`;
    case 'anyOf':
      // The CRD admits anyOf only as x-kubernetes-int-or-string (see structural-schema.ts).
      return 'must be an integer or a string';
    default:
      return error.message;
  }
}

/** The x-kubernetes-validations entry behind a failed refinement, for its fieldPath. */
function celRuleOf(schema: TSchema, error: TLocalizedValidationError): CelValidation | undefined {
  if (error.keyword !== '~refine') return undefined;
  const node = Pointer.Get(schema, error.schemaPath.replace(/^#/, '')) as Record<string, unknown> | undefined;
  const rules = (node?.[CEL_VALIDATIONS] ?? []) as CelValidation[];
  return rules.find((rule) => rule.message === error.params.message);
}

/** JSON pointer segments as a Kubernetes field path: spec.objects[0].tables[1].name */
function fieldPath(segments: string[]): string {
  return segments.reduce((path, segment) => join(path, segment), '');
}

function join(path: string, segment: string): string {
  if (/^[0-9]+$/.test(segment)) return `${path}[${segment}]`;
  return path === '' ? segment : `${path}.${segment}`;
}

function withArticle(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function items(n: number): string {
  return `${n} item${n === 1 ? '' : 's'}`;
}
