import Type, { type Static, type TSchema } from 'typebox';

/**
 * A rule over several fields of one object, written once and enforced twice: the API server runs
 * `rule` (CEL, as an x-kubernetes-validations entry of the CRD) and validateSyncJob runs `check`.
 * Both see the object after defaulting. test/unit/api/cross-field-cases.ts holds the cases on which
 * the two must agree (the integration test replays them against a real API server).
 */
export interface CrossFieldRule<T> {
  /** CEL with `self` bound to the object the rule is attached to. */
  readonly rule: string;
  /** Shown to the user after the field path; never includes a value. */
  readonly message: string;
  /** The field the error points at, relative to `self`, in Kubernetes' form ('.compression'). */
  readonly fieldPath?: string;
  readonly check: (self: T) => boolean;
}

/** A CRD x-kubernetes-validations entry. */
export interface CelValidation {
  rule: string;
  message: string;
  fieldPath?: string;
}

export const CEL_VALIDATIONS = 'x-kubernetes-validations';

function celValidation(rule: CrossFieldRule<never>): CelValidation {
  return {
    rule: rule.rule,
    message: rule.message,
    ...(rule.fieldPath === undefined ? {} : { fieldPath: rule.fieldPath }),
  };
}

/** Attaches rules to a schema node: as CEL for the CRD, as TypeBox refinements for the runtime. */
export function WithRules<T extends TSchema>(schema: T, rules: readonly CrossFieldRule<Static<T>>[]): T {
  let refined: TSchema = Type.With(schema, { [CEL_VALIDATIONS]: rules.map(celValidation) });
  for (const rule of rules) {
    // TypeBox runs refinements only on values that already match the node's own schema.
    refined = Type.Refine(
      refined,
      (value) => rule.check(value as Static<T>),
      () => rule.message,
    );
  }
  return refined as T;
}
