/**
 * Test helper: a value for a description at a version with every field the version has set to a
 * non-default value (or, with `nulls`, to null wherever the field is nullable), built from the
 * description itself so that every served API and version gets one.
 */
import { inRange, parseVersions, type FieldSpec, type FieldType, type MessageSpec } from '../../../src/kafka/protocol/schema.js';

export interface SampleOptions {
  nulls?: boolean;
  arrayLength?: number;
}

export function sampleMessage(spec: MessageSpec, version: number, options: SampleOptions = {}): Record<string, unknown> {
  const flexible = inRange(parseVersions(spec.flexibleVersions), version);
  return sampleStruct(spec.fields, version, flexible, options, { n: 1 });
}

function sampleStruct(
  fields: readonly FieldSpec[], version: number, flexible: boolean, options: SampleOptions, counter: { n: number },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!inRange(parseVersions(f.versions), version)) continue;
    if (f.tagged !== undefined && !(flexible && inRange(parseVersions(f.tagged), version))) continue;
    const nullable = f.nullable !== undefined && inRange(parseVersions(f.nullable), version);
    out[f.name] = options.nulls && nullable ? null : sampleType(f.type, version, flexible, options, counter);
  }
  return out;
}

function sampleType(type: FieldType, version: number, flexible: boolean, options: SampleOptions, counter: { n: number }): unknown {
  const n = counter.n++;
  switch (typeof type === 'string' ? type : type.kind) {
    case 'struct': return sampleStruct((type as { fields: readonly FieldSpec[] }).fields, version, flexible, options, counter);
    case 'array': {
      const of = (type as { of: FieldType }).of;
      return Array.from({ length: options.arrayLength ?? 2 }, () => sampleType(of, version, flexible, options, counter));
    }
    case 'int8': return (n % 100) + 1;
    case 'int16': return 1000 + n;
    case 'uint16': return 60000 + n;
    case 'int32': return 100000 + n;
    case 'uint32': return 4000000000 + n;
    case 'int64': return 10_000_000_000n + BigInt(n);
    case 'float64': return n + 0.5;
    case 'bool': return true;
    case 'string': return `s${n}-é`;
    case 'uuid': return Uint8Array.from({ length: 16 }, (_, i) => i + n);
    case 'bytes': case 'records': return Uint8Array.from({ length: 3 + (n % 5) }, (_, i) => (i * 31 + n) & 0xff);
    default: throw new Error(`no sample for ${JSON.stringify(type)}`);
  }
}

/** Every served version of a description, from its `versions` range. */
export function describedVersions(spec: MessageSpec): number[] {
  const r = parseVersions(spec.versions);
  const out: number[] = [];
  for (let v = r.min; v <= r.max; v++) out.push(v);
  return out;
}
