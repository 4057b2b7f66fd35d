import Type, {
  type Static,
  type TArrayOptions,
  type TObject,
  type TSchema,
  type TSchemaOptions,
} from 'typebox';

// TypeBox builders for the few shapes that a Kubernetes structural schema spells differently from
// plain JSON Schema. Each carries the runtime meaning of its Kubernetes extension, so that
// validateSyncJob accepts exactly what the API server accepts.

/** `{type: string, enum}`: Kubernetes has no use for TypeBox's anyOf-of-literals. */
export function StringEnum<const V extends string[]>(values: readonly [...V], options: TSchemaOptions = {}) {
  return Type.Enum(values, { ...options, type: 'string' });
}

/** An integer or a string (a resource quantity, say), as x-kubernetes-int-or-string. */
export function IntOrString(options: TSchemaOptions = {}) {
  return Type.Union([Type.Integer(), Type.String()], { ...options, 'x-kubernetes-int-or-string': true });
}

/** A list of unique scalars (x-kubernetes-list-type: set; Kubernetes forbids uniqueItems). */
export function SetList<T extends TSchema>(items: T, options: TArrayOptions = {}) {
  return Type.Refine(
    Type.Array(items, { ...options, 'x-kubernetes-list-type': 'set' }),
    (list) => new Set(list).size === list.length,
    () => 'must not contain duplicates',
  );
}

/** A list of objects unique by `key` (x-kubernetes-list-type: map), merged by key in server-side apply. */
export function MapList<T extends TObject, K extends keyof Static<T> & string>(
  items: T,
  key: K,
  options: TArrayOptions = {},
) {
  return Type.Refine(
    Type.Array(items, { ...options, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [key] }),
    (list) => new Set(list.map((item) => (item as Static<T>)[key])).size === list.length,
    () => `must not contain two items with the same ${key}`,
  );
}
