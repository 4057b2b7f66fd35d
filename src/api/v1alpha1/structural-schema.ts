import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';

/** A node of a Kubernetes structural OpenAPI v3 schema, as a CRD carries it. */
export type StructuralSchema = { [key: string]: unknown };

// Keywords copied as they are, around the nested ones (the order of the generated YAML).
const VALUE_KEYWORDS = [
  'type',
  'description',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
];
const NESTED_KEYWORDS = [
  'default',
  'properties',
  'required',
  'items',
  'patternProperties',
  'additionalProperties',
  'anyOf',
];
const EXTENSION_KEYWORDS = [
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-validations',
];
// JSON Schema annotations Kubernetes rejects and that carry nothing the CRD needs.
const DROPPED_KEYWORDS = ['$id', '$schema', 'title', 'examples'];

/**
 * Converts a TypeBox schema into a structural schema the API server accepts, or throws naming the
 * node it cannot convert, so that a schema the CRD cannot express never reaches the runtime alone.
 *
 * - `additionalProperties: false` is dropped: Kubernetes forbids it beside `properties`; the API
 *   server prunes unknown fields instead, and kubectl's strict field validation rejects them.
 * - An object's default is written with its fields' defaults filled in: the API server checks a
 *   default against the CEL rules as it is, without defaulting it first.
 * - A property with a default is not listed in `required`: the API server, like validateSyncJob,
 *   defaults before it validates, so such a field is always there.
 * - `patternProperties: {'^.*$': X}` (TypeBox's Record) becomes `additionalProperties: X`.
 * - `anyOf` is admitted only as x-kubernetes-int-or-string.
 */
export function structuralSchema(schema: TSchema, path = ''): StructuralSchema {
  const node = schema as StructuralSchema;
  const unknown = Object.keys(node).filter(
    (key) =>
      ![...VALUE_KEYWORDS, ...NESTED_KEYWORDS, ...EXTENSION_KEYWORDS, ...DROPPED_KEYWORDS].includes(key),
  );
  if (unknown.length > 0)
    throw new Error(`${path || 'schema'}: no structural form for ${unknown.join(', ')}`);

  const out: StructuralSchema = {};
  for (const key of VALUE_KEYWORDS) if (node[key] !== undefined) out[key] = node[key];
  if (node.default !== undefined) out.default = Value.Default(schema, structuredClone(node.default));

  const properties = node.properties as Record<string, TSchema> | undefined;
  if (properties) {
    out.properties = Object.fromEntries(
      Object.entries(properties).map(([name, child]) => [name, structuralSchema(child, `${path}.${name}`)]),
    );
    const required = ((node.required ?? []) as string[]).filter(
      (name) => (properties[name] as StructuralSchema | undefined)?.default === undefined,
    );
    if (required.length > 0) out.required = required;
  }
  if (node.items) out.items = structuralSchema(node.items as TSchema, `${path}[]`);
  if (node.patternProperties) out.additionalProperties = mapValues(node.patternProperties, path);
  if (node.additionalProperties !== undefined && node.additionalProperties !== false) {
    throw new Error(`${path}: additionalProperties other than false; use Type.Record`);
  }
  if (node.anyOf) {
    const members = node.anyOf as StructuralSchema[];
    const nonNull = members.filter((m) => m.type !== 'null');
    // X or null: X, nullable (the API server keeps an explicit null instead of refusing it).
    if (members.length === 2 && nonNull.length === 1) {
      return {
        ...structuralSchema(nonNull[0] as TSchema, path),
        description: node.description,
        nullable: true,
      };
    }
    if (node['x-kubernetes-int-or-string'] !== true) throw new Error(`${path}: anyOf is not structural`);
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  for (const key of EXTENSION_KEYWORDS) if (node[key] !== undefined) out[key] = node[key];
  return out;
}

function mapValues(patternProperties: unknown, path: string): StructuralSchema {
  const entries = Object.entries(patternProperties as Record<string, TSchema>);
  const [only] = entries;
  if (entries.length !== 1 || only?.[0] !== '^.*$')
    throw new Error(`${path}: patternProperties other than ^.*$`);
  return structuralSchema(only[1], `${path}.*`);
}
