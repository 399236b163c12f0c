import { describe, expect, it } from 'vitest';
import { validateConfig, type ConfigSchema } from './config.js';

interface FooConfig {
  /** required integer */
  size: number;
  /** number with a default */
  rate?: number;
  /** boolean with a default */
  flag?: boolean;
  /** free string with a default */
  label?: string;
  /** enum with a default */
  mode?: 'a' | 'b';
  /** optional with no default */
  extra?: number;
}

const FOO = {
  size: { type: 'integer', min: 1, max: 100 },
  rate: { type: 'number', min: 0, default: 0.5 },
  flag: { type: 'boolean', default: false },
  label: { type: 'string', default: 'x' },
  mode: { type: 'enum', values: ['a', 'b'], default: 'a' },
  extra: { type: 'number', optional: true },
} as const satisfies ConfigSchema<FooConfig>;

describe('validateConfig', () => {
  it('fills defaults and keeps given values, in a fresh object', () => {
    const raw = { size: 3, mode: 'b' };
    const cfg = validateConfig(raw, FOO, 'Foo');
    expect(cfg).toEqual({ size: 3, rate: 0.5, flag: false, label: 'x', mode: 'b' });
    expect('extra' in cfg).toBe(false);
    expect(cfg).not.toBe(raw);
    // Types come from the schema: the enum is a literal union, `extra` is optional.
    const mode: 'a' | 'b' = cfg.mode;
    const extra: number | undefined = cfg.extra;
    expect([mode, extra]).toEqual(['b', undefined]);
    expect(validateConfig({ size: 1, extra: 2 }, FOO, 'Foo').extra).toBe(2);
  });

  it('rejects an unknown key, naming it and listing the known keys', () => {
    expect(() => validateConfig({ size: 3, sise: 4 }, FOO, 'Foo at enc')).toThrow(
      "Foo at enc: unknown key 'sise' (known keys: size, rate, flag, label, mode, extra)",
    );
    expect(() => validateConfig(JSON.parse('{"size": 3, "__proto__": {}}'), FOO, 'Foo')).toThrow(/unknown key '__proto__'/);
  });

  it('rejects wrong types, naming the key', () => {
    expect(() => validateConfig({ size: '3' }, FOO, 'Foo')).toThrow(`Foo: 'size' must be a finite number, got string "3"`);
    expect(() => validateConfig({ size: 2.5 }, FOO, 'Foo')).toThrow(`Foo: 'size' must be an integer, got 2.5`);
    expect(() => validateConfig({ size: Number.NaN }, FOO, 'Foo')).toThrow(/'size' must be a finite number/);
    expect(() => validateConfig({ size: 3, flag: 'yes' }, FOO, 'Foo')).toThrow(`Foo: 'flag' must be a boolean, got string "yes"`);
    expect(() => validateConfig({ size: 3, label: 7 }, FOO, 'Foo')).toThrow(`Foo: 'label' must be a string, got number 7`);
    expect(() => validateConfig({ size: 3, mode: 'c' }, FOO, 'Foo')).toThrow(`Foo: 'mode' must be one of 'a', 'b', got string "c"`);
    expect(() => validateConfig({ size: 3, rate: null }, FOO, 'Foo')).toThrow(`Foo: 'rate' must be a finite number, got null`);
    expect(() => validateConfig({ size: [3] }, FOO, 'Foo')).toThrow(/'size' must be a finite number, got an array/);
  });

  it('enforces min and max', () => {
    expect(() => validateConfig({ size: 0 }, FOO, 'Foo')).toThrow(`Foo: 'size' must be ≥ 1, got 0`);
    expect(() => validateConfig({ size: 101 }, FOO, 'Foo')).toThrow(`Foo: 'size' must be ≤ 100, got 101`);
    expect(() => validateConfig({ size: 1, rate: -0.1 }, FOO, 'Foo')).toThrow(/'rate' must be ≥ 0/);
  });

  it('rejects a missing required key and a non-object config', () => {
    expect(() => validateConfig({}, FOO, 'Foo')).toThrow(`Foo: missing required key 'size' (integer)`);
    expect(() => validateConfig(null, FOO, 'Foo')).toThrow('Foo: expected an object, got null');
    expect(() => validateConfig([1], FOO, 'Foo')).toThrow('Foo: expected an object, got an array');
    expect(() => validateConfig(3, FOO, 'Foo')).toThrow('Foo: expected an object, got number 3');
  });

  it('checks schemas against their config interface at compile time', () => {
    // Each line below is a compile error (checked by `tsc --noEmit`); at run time they are just objects.
    const missingKey = {
      size: { type: 'integer' },
      // @ts-expect-error -- the schema lacks FooConfig keys
    } as const satisfies ConfigSchema<FooConfig>;
    const wrongType = {
      ...FOO,
      // @ts-expect-error -- a boolean key cannot have a number spec
      flag: { type: 'number', default: 1 },
    } as const satisfies ConfigSchema<FooConfig>;
    const noDefault = {
      ...FOO,
      // @ts-expect-error -- an optional key needs a default or `optional: true`
      rate: { type: 'number' },
    } as const satisfies ConfigSchema<FooConfig>;
    const extraKey = {
      ...FOO,
      // @ts-expect-error -- keys outside FooConfig are rejected
      bogus: { type: 'number', default: 1 },
    } as const satisfies ConfigSchema<FooConfig>;
    const badEnum = {
      ...FOO,
      // @ts-expect-error -- enum values must belong to the union
      mode: { type: 'enum', values: ['a', 'z'], default: 'a' },
    } as const satisfies ConfigSchema<FooConfig>;
    expect([missingKey, wrongType, noDefault, extraKey, badEnum].length).toBe(5);
  });
});
