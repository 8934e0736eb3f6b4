/**
 * The declarative description of a Kafka message: a compact TypeScript form of the information in
 * Apache Kafka's message definitions (clients/src/main/resources/common/message/*.json). One
 * description drives both the decoder and the encoder (codec.ts), and the TypeScript types of the
 * decoded and encodable objects are inferred from it, so a field cannot be read under one name and
 * written under another.
 *
 * Version ranges are Kafka's strings: "3+" (3 and up), "2-7", "5", "none". Field names are Kafka's
 * with the first letter lower-cased. A field's `default` is Kafka's; without one it is 0, false, '',
 * an empty array, a zeroed uuid, a struct of defaults, or null where the field is nullable.
 */

export type Primitive =
  | 'int8' | 'int16' | 'int32' | 'int64' | 'uint16' | 'uint32' | 'float64' | 'bool'
  | 'string' | 'bytes' | 'uuid' | 'records';

export interface ArrayType<E extends FieldType = FieldType> {
  readonly kind: 'array';
  readonly of: E;
}

export interface StructType<F extends readonly FieldSpec[] = readonly FieldSpec[]> {
  readonly kind: 'struct';
  readonly fields: F;
}

export type FieldType = Primitive | ArrayType | StructType;

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly versions: string;
  /** Kafka's nullableVersions. */
  readonly nullable?: string;
  /** Kafka's tag and taggedVersions: the field travels in the tagged-field section. */
  readonly tag?: number;
  readonly tagged?: string;
  readonly default?: number | bigint | boolean | string | null;
  /** Kafka's per-field flexibleVersions: "none" keeps the classic encoding in flexible versions. */
  readonly flexible?: 'none';
}

export interface MessageSpec<F extends readonly FieldSpec[] = readonly FieldSpec[]> {
  readonly name: string;
  /** The versions described here (those lakestream serves; Kafka's validVersions may be wider). */
  readonly versions: string;
  readonly flexibleVersions: string;
  readonly fields: F;
}

export interface ApiSpec<Req extends MessageSpec = MessageSpec, Res extends MessageSpec = MessageSpec> {
  readonly apiKey: number;
  readonly name: string;
  readonly request: Req;
  readonly response: Res;
}

export function array<const E extends FieldType>(of: E): ArrayType<E>;
export function array<const F extends readonly FieldSpec[]>(fields: F): ArrayType<StructType<F>>;
export function array(of: FieldType | readonly FieldSpec[]): ArrayType {
  return { kind: 'array', of: Array.isArray(of) ? struct(of as readonly FieldSpec[]) : (of as FieldType) };
}

export function struct<const F extends readonly FieldSpec[]>(fields: F): StructType<F> {
  return { kind: 'struct', fields };
}

export function message<const F extends readonly FieldSpec[]>(
  name: string, versions: string, flexibleVersions: string, fields: F,
): MessageSpec<F> {
  return { name, versions, flexibleVersions, fields };
}

export function api<const Req extends MessageSpec, const Res extends MessageSpec>(
  apiKey: number, name: string, request: Req, response: Res,
): ApiSpec<Req, Res> {
  return { apiKey, name, request, response };
}

export interface VersionRange {
  readonly min: number;
  /** Inclusive; Infinity for "n+". */
  readonly max: number;
}

const NO_VERSIONS: VersionRange = { min: 1, max: 0 };

export function parseVersions(text: string): VersionRange {
  if (text === 'none') return NO_VERSIONS;
  const m = /^(\d+)(\+|-(\d+))?$/.exec(text);
  if (!m) throw new Error(`bad version range "${text}"`);
  const min = Number(m[1]);
  if (m[2] === '+') return { min, max: Infinity };
  return { min, max: m[3] === undefined ? min : Number(m[3]) };
}

export function inRange(r: VersionRange, version: number): boolean {
  return version >= r.min && version <= r.max;
}

// ---- the JavaScript shapes inferred from a description ----------------------------------------

type Scalar<T extends Primitive> = T extends 'int64' ? bigint
  : T extends 'bool' ? boolean
  : T extends 'string' ? string
  : T extends 'bytes' | 'uuid' | 'records' ? Uint8Array
  : number;

type DecodedType<T> = T extends Primitive ? Scalar<T>
  : T extends ArrayType<infer E> ? DecodedType<E>[]
  : T extends StructType<infer F> ? Decoded<F>
  : never;

type Nullable<F, V> = F extends { readonly nullable: string } ? V | null : V;

/** A decoded object: every field, those absent from the version holding their defaults. */
export type Decoded<Fs extends readonly FieldSpec[]> = {
  -readonly [F in Fs[number] as F['name']]: Nullable<F, DecodedType<F['type']>>;
};

type EncodableScalar<T extends Primitive> = T extends 'int64' ? bigint | number
  : T extends 'records' ? Uint8Array | readonly Uint8Array[]
  : Scalar<T>;

type EncodableType<T> = T extends Primitive ? EncodableScalar<T>
  : T extends ArrayType<infer E> ? readonly EncodableType<E>[]
  : T extends StructType<infer F> ? Encodable<F>
  : never;

/** An object to encode: a missing field is written as its default; records may be chunks. */
export type Encodable<Fs extends readonly FieldSpec[]> = {
  readonly [F in Fs[number] as F['name']]?: Nullable<F, EncodableType<F['type']>>;
};

export type RequestOf<A extends ApiSpec> = Decoded<A['request']['fields']>;
export type ResponseOf<A extends ApiSpec> = Encodable<A['response']['fields']>;
