/**
 * Typed, validated module configs. A module declares its config interface
 * (one comment per field) and a schema checked against it:
 *
 *   const SCHEMA = { dim: { type: 'integer', min: 1 }, ... } as const satisfies ConfigSchema<FooConfig>;
 *   const cfg = validateConfig(raw, SCHEMA, 'Foo at enc.foo'); // typed from the schema, defaults filled in
 *
 * Unknown keys, missing required keys and wrong types are errors that name
 * the key: configs come from JSON files as well as from code.
 */

interface FieldCommon<V> {
  /** Value used when the key is absent. */
  default?: V;
  /** The key may be absent (and stays absent) when there is no default. */
  optional?: boolean;
}
export interface NumberField extends FieldCommon<number> {
  type: 'number';
  min?: number;
  max?: number;
}
export interface IntegerField extends FieldCommon<number> {
  type: 'integer';
  min?: number;
  max?: number;
}
export interface BooleanField extends FieldCommon<boolean> {
  type: 'boolean';
}
export interface StringField extends FieldCommon<string> {
  type: 'string';
}
export interface EnumField<V extends string = string> extends FieldCommon<V> {
  type: 'enum';
  values: readonly V[];
}
export type FieldSpec = NumberField | IntegerField | BooleanField | StringField | EnumField;

/** The field specs that can describe a value of type V. */
type FieldFor<V> = [V] extends [number]
  ? NumberField | IntegerField
  : [V] extends [boolean]
    ? BooleanField
    : [V] extends [string]
      ? string extends V
        ? StringField
        : EnumField<V>
      : never;

/**
 * A schema for the config interface T: exactly T's keys, each with a field
 * spec of the matching type; T's optional keys need a default or `optional`.
 */
export type ConfigSchema<T> = {
  readonly [K in keyof T]-?: undefined extends T[K]
    ? FieldFor<Exclude<T[K], undefined>> & ({ default: Exclude<T[K], undefined> } | { optional: true })
    : FieldFor<T[K]> & { default?: undefined; optional?: false };
};

type FieldValue<F> = F extends { type: 'number' | 'integer' }
  ? number
  : F extends { type: 'boolean' }
    ? boolean
    : F extends { type: 'string' }
      ? string
      : F extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : never;

type AbsentKeys<S> = { [K in keyof S]: S[K] extends { default: unknown } ? never : S[K] extends { optional: true } ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The validated config described by schema S: keys with defaults are always present. */
export type ConfigOf<S> = Simplify<
  { -readonly [K in Exclude<keyof S, AbsentKeys<S>>]: FieldValue<S[K]> } & { -readonly [K in AbsentKeys<S>]?: FieldValue<S[K]> }
>;

/**
 * Checks `raw` against `schema` and returns a fresh object with defaults
 * filled in. `what` names the config in errors, e.g. `Linear config at enc.fc1`.
 */
export function validateConfig<const S extends Record<string, FieldSpec>>(raw: unknown, schema: S, what: string): ConfigOf<S> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${what}: expected an object, got ${describe(raw)}`);
  }
  const known = Object.keys(schema);
  for (const key of Object.keys(raw)) {
    if (!Object.prototype.hasOwnProperty.call(schema, key)) {
      throw new Error(`${what}: unknown key '${key}' (known keys: ${known.join(', ')})`);
    }
  }
  const src = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of known) {
    const spec = schema[key]!;
    const v = src[key];
    if (v === undefined) {
      if (spec.default !== undefined) out[key] = spec.default;
      else if (!spec.optional) throw new Error(`${what}: missing required key '${key}' (${spec.type})`);
      continue;
    }
    checkField(v, spec, `${what}: '${key}'`);
    out[key] = v;
  }
  return out as ConfigOf<S>;
}

function checkField(v: unknown, spec: FieldSpec, where: string): void {
  switch (spec.type) {
    case 'number':
    case 'integer': {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where} must be a finite number, got ${describe(v)}`);
      if (spec.type === 'integer' && !Number.isInteger(v)) throw new Error(`${where} must be an integer, got ${v}`);
      if (spec.min !== undefined && v < spec.min) throw new Error(`${where} must be ≥ ${spec.min}, got ${v}`);
      if (spec.max !== undefined && v > spec.max) throw new Error(`${where} must be ≤ ${spec.max}, got ${v}`);
      return;
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw new Error(`${where} must be a boolean, got ${describe(v)}`);
      return;
    case 'string':
      if (typeof v !== 'string') throw new Error(`${where} must be a string, got ${describe(v)}`);
      return;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) {
        throw new Error(`${where} must be one of ${spec.values.map((x) => `'${x}'`).join(', ')}, got ${describe(v)}`);
      }
      return;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
