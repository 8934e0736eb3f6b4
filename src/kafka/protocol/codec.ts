/**
 * Decode and encode any message from its description (schema.ts). A description is compiled once
 * per version into a plan (which fields are present, in order; which are tagged; which types are
 * compact; the least bytes each array element can take), cached, then walked.
 *
 * Flexible versions (KIP-482) use compact strings, byte strings and arrays (unsigned varint length
 * + 1, 0 for null) and end every struct with a tagged-field section; tags we do not know are
 * skipped, and a tagged field is written only when it differs from its default, as Kafka does.
 */
import { KafkaProtocolError, type KafkaReader, KafkaWriter } from './primitives.js';
import {
  inRange, parseVersions, type Decoded, type Encodable, type FieldSpec, type FieldType, type MessageSpec, type Primitive,
} from './schema.js';

const enum Mode { Present, Tagged, Absent }

interface FieldPlan {
  readonly name: string;
  readonly mode: Mode;
  readonly type: TypePlan;
  readonly nullable: boolean;
  readonly tag: number;
  readonly makeDefault: () => unknown;
}

interface StructPlan {
  readonly kind: 'struct';
  readonly fields: readonly FieldPlan[];
  readonly tagged: ReadonlyMap<number, FieldPlan>;
  /** The tagged fields by ascending tag, the order they are written in. */
  readonly taggedInOrder: readonly FieldPlan[];
  readonly flexible: boolean;
  readonly bytesMin: number;
}

interface ArrayPlan {
  readonly kind: 'array';
  readonly of: TypePlan;
  readonly compact: boolean;
  readonly bytesMin: number;
}

interface PrimitivePlan {
  readonly kind: Primitive;
  readonly compact: boolean;
  readonly bytesMin: number;
}

type TypePlan = StructPlan | ArrayPlan | PrimitivePlan;

const FIXED_BYTES: Partial<Record<Primitive, number>> = {
  int8: 1, bool: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16,
};

function compileType(type: FieldType, version: number, flexible: boolean, compact: boolean): TypePlan {
  if (typeof type === 'string') {
    const fixed = FIXED_BYTES[type];
    const bytesMin = fixed ?? (compact ? 1 : type === 'string' ? 2 : 4);
    return { kind: type, compact, bytesMin };
  }
  if (type.kind === 'array') {
    return { kind: 'array', of: compileType(type.of, version, flexible, flexible), compact, bytesMin: compact ? 1 : 4 };
  }
  return compileStruct(type.fields, version, flexible);
}

function compileStruct(specs: readonly FieldSpec[], version: number, flexible: boolean): StructPlan {
  const fields = specs.map((f) => compileField(f, version, flexible));
  const tagged = new Map<number, FieldPlan>();
  let bytesMin = flexible ? 1 : 0;
  for (const f of fields) {
    if (f.mode === Mode.Tagged) tagged.set(f.tag, f);
    if (f.mode === Mode.Present) bytesMin += f.type.bytesMin;
  }
  const taggedInOrder = [...tagged.values()].sort((a, b) => a.tag - b.tag);
  return { kind: 'struct', fields, tagged, taggedInOrder, flexible, bytesMin };
}

function compileField(f: FieldSpec, version: number, flexible: boolean): FieldPlan {
  const present = inRange(parseVersions(f.versions), version);
  const isTagged = present && f.tagged !== undefined && flexible && inRange(parseVersions(f.tagged), version);
  const compact = flexible && f.flexible !== 'none';
  const nullable = present && f.nullable !== undefined && inRange(parseVersions(f.nullable), version);
  const type = compileType(f.type, version, flexible, compact);
  const mode = !present || (f.tagged !== undefined && !isTagged) ? Mode.Absent : isTagged ? Mode.Tagged : Mode.Present;
  return { name: f.name, mode, type, nullable, tag: f.tag ?? -1, makeDefault: defaultMaker(f, type) };
}

function defaultMaker(f: FieldSpec, type: TypePlan): () => unknown {
  if (f.default !== undefined) {
    const value = type.kind === 'int64' && f.default !== null ? BigInt(f.default) : f.default;
    return () => value;
  }
  if (f.nullable !== undefined) return () => null;
  return zeroMaker(type);
}

function zeroMaker(type: TypePlan): () => unknown {
  switch (type.kind) {
    case 'struct': {
      const fields = type.fields;
      return () => {
        const out: Record<string, unknown> = {};
        for (const f of fields) out[f.name] = f.makeDefault();
        return out;
      };
    }
    case 'array': return () => [];
    case 'int64': return () => 0n;
    case 'bool': return () => false;
    case 'string': return () => '';
    case 'bytes': case 'records': return () => new Uint8Array(0);
    case 'uuid': return () => new Uint8Array(16);
    default: return () => 0;
  }
}

const plans = new WeakMap<MessageSpec, Map<number, StructPlan>>();

function planOf(spec: MessageSpec, version: number): StructPlan {
  let byVersion = plans.get(spec);
  if (!byVersion) plans.set(spec, (byVersion = new Map()));
  let plan = byVersion.get(version);
  if (!plan) {
    if (!inRange(parseVersions(spec.versions), version)) {
      throw new RangeError(`${spec.name} v${version} is not described (versions ${spec.versions})`);
    }
    plan = compileStruct(spec.fields, version, inRange(parseVersions(spec.flexibleVersions), version));
    byVersion.set(version, plan);
  }
  return plan;
}

export function isFlexible(spec: MessageSpec, version: number): boolean {
  return inRange(parseVersions(spec.flexibleVersions), version);
}

// ---- decode -----------------------------------------------------------------------------------

export function decode<F extends readonly FieldSpec[]>(spec: MessageSpec<F>, version: number, reader: KafkaReader): Decoded<F> {
  return decodeStruct(planOf(spec, version), reader) as Decoded<F>;
}

function decodeStruct(plan: StructPlan, r: KafkaReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of plan.fields) {
    if (f.mode !== Mode.Present) {
      out[f.name] = f.makeDefault();
      continue;
    }
    try {
      out[f.name] = decodeValue(f.type, f.nullable, r);
    } catch (e) {
      throw e instanceof KafkaProtocolError ? e.within(f.name) : e;
    }
  }
  if (plan.flexible) {
    r.taggedFields((tag, data) => {
      const f = plan.tagged.get(tag);
      if (!f) return;
      try {
        out[f.name] = decodeValue(f.type, f.nullable, data);
      } catch (e) {
        throw e instanceof KafkaProtocolError ? e.within(f.name) : e;
      }
    });
  }
  return out;
}

function decodeValue(type: TypePlan, nullable: boolean, r: KafkaReader): unknown {
  switch (type.kind) {
    case 'struct': return decodeStruct(type, r);
    case 'array': {
      const n = r.arrayCount(type.compact, nullable, type.of.bytesMin);
      if (n === -1) return null;
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        try {
          out[i] = decodeValue(type.of, false, r);
        } catch (e) {
          throw e instanceof KafkaProtocolError ? e.within(`[${i}]`) : e;
        }
      }
      return out;
    }
    case 'int8': return r.int8();
    case 'int16': return r.int16();
    case 'uint16': return r.uint16();
    case 'int32': return r.int32();
    case 'uint32': return r.uint32();
    case 'int64': return r.int64();
    case 'float64': return r.float64();
    case 'bool': return r.bool();
    case 'uuid': return r.uuid();
    case 'string': return r.string(type.compact, nullable);
    case 'bytes': case 'records': return r.bytes(type.compact, nullable);
  }
}

// ---- encode -----------------------------------------------------------------------------------

export function encode<F extends readonly FieldSpec[]>(
  spec: MessageSpec<F>, version: number, value: Encodable<F>, writer: KafkaWriter,
): void {
  encodeStruct(planOf(spec, version), value as Record<string, unknown>, writer);
}

function encodeStruct(plan: StructPlan, value: Record<string, unknown> | undefined, w: KafkaWriter): void {
  for (const f of plan.fields) {
    if (f.mode !== Mode.Present) continue;
    const v = value?.[f.name];
    encodeField(f, v === undefined ? f.makeDefault() : v, w);
  }
  if (plan.flexible) encodeTagged(plan, value, w);
}

function encodeTagged(plan: StructPlan, value: Record<string, unknown> | undefined, w: KafkaWriter): void {
  const written: { tag: number; data: Uint8Array }[] = [];
  for (const f of plan.taggedInOrder) {
    const v = value?.[f.name];
    if (v === undefined || isDefault(f, v)) continue;
    const sub = new KafkaWriter(64);
    encodeField(f, v, sub);
    written.push({ tag: f.tag, data: sub.finish() });
  }
  w.uvarint(written.length);
  for (const t of written) {
    w.uvarint(t.tag);
    w.uvarint(t.data.byteLength);
    w.raw(t.data);
  }
}

function isDefault(f: FieldPlan, v: unknown): boolean {
  if (f.type.kind === 'struct') return false;
  const d = f.makeDefault();
  if (Array.isArray(v)) return v.length === 0 && Array.isArray(d);
  if (v instanceof Uint8Array) return d instanceof Uint8Array && Buffer.compare(v, d) === 0;
  if (typeof d === 'bigint') return BigInt(v as bigint | number) === d;
  return v === d;
}

function encodeField(f: FieldPlan, v: unknown, w: KafkaWriter): void {
  try {
    encodeValue(f.type, f.nullable, v, w);
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) e.message = `${f.name}: ${e.message}`;
    throw e;
  }
}

function encodeValue(type: TypePlan, nullable: boolean, v: unknown, w: KafkaWriter): void {
  if (v === null && type.kind !== 'struct') {
    if (!nullable) throw new RangeError('null in a field that is not nullable in this version');
    if (type.kind === 'array') return w.arrayCount(-1, type.compact);
    if (type.kind === 'string') return w.string(null, type.compact);
    return w.bytes(null, type.compact);
  }
  switch (type.kind) {
    case 'struct': return encodeStruct(type, v as Record<string, unknown>, w);
    case 'array': {
      const items = v as readonly unknown[];
      w.arrayCount(items.length, type.compact);
      for (const item of items) encodeValue(type.of, false, item, w);
      return;
    }
    case 'int8': return w.int8(v as number);
    case 'int16': return w.int16(v as number);
    case 'uint16': return w.uint16(v as number);
    case 'int32': return w.int32(v as number);
    case 'uint32': return w.uint32(v as number);
    case 'int64': return w.int64(v as bigint | number);
    case 'float64': return w.float64(v as number);
    case 'bool': return w.bool(v as boolean);
    case 'uuid': return w.uuid(v as Uint8Array);
    case 'string': return w.string(v as string, type.compact);
    case 'bytes': case 'records':
      if (Array.isArray(v)) return w.bytesChunks(v as readonly Uint8Array[], type.compact);
      return w.bytes(v as Uint8Array, type.compact);
  }
}
