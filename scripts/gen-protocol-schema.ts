// Writes protocol/protocol.schema.json: the JSON Schema of the WIRE form of every client
// and server message (uint64 as decimal strings), for clients not written in TypeScript.
// Usage: npx tsx scripts/gen-protocol-schema.ts            (rewrite the file)
//        npx tsx scripts/gen-protocol-schema.ts --check    (exit 1 if the file is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ClientMessageSchema } from '../protocol/client-messages.ts';
import { ServerMessageSchema } from '../protocol/server-messages.ts';

export const SCHEMA_PATH = join(import.meta.dirname, '..', 'protocol', 'protocol.schema.json');
const DRAFT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * One direction's schema. `io: 'input'` describes what decode() accepts, i.e. the JSON on the
 * wire; the output side holds bigints, which JSON Schema cannot express (zod throws).
 * The per-direction `$schema` is dropped: the document's own `$schema` covers both, and
 * 2020-12 allows `$schema` only at a schema resource's root.
 */
function wireSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _draft, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
}

/** The file's exact text (pretty-printed, trailing newline; key order is zod's, so stable). */
export function generateProtocolSchema(): string {
  const doc = {
    $schema: DRAFT,
    title: 'mstat-bridge protocol v1',
    description:
      'WebSocket /v1/ws, one JSON message per text frame. `client`: messages a client sends; `server`: messages the bridge sends. uint64/int64 values are decimal strings. Generated from protocol/*.ts by scripts/gen-protocol-schema.ts; do not edit.',
    client: wireSchema(ClientMessageSchema),
    server: wireSchema(ServerMessageSchema),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** First differing line, for the --check hint. */
function firstDifference(a: string, b: string): { line: number; committed: string; generated: string } | undefined {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return { line: i + 1, committed: la[i] ?? '<end of file>', generated: lb[i] ?? '<end of file>' };
  }
  return undefined;
}

function main(argv: string[]): number {
  const text = generateProtocolSchema();
  if (argv.includes('--check')) {
    let committed: string;
    try {
      committed = readFileSync(SCHEMA_PATH, 'utf8');
    } catch {
      process.stderr.write(`${SCHEMA_PATH} is missing; run npx tsx scripts/gen-protocol-schema.ts\n`);
      return 1;
    }
    const d = firstDifference(committed, text);
    if (d === undefined) return 0;
    process.stderr.write(
      `${SCHEMA_PATH} is out of date with protocol/*.ts; run npx tsx scripts/gen-protocol-schema.ts\n` +
        `  first difference at line ${d.line}:\n  - ${d.committed.trim()}\n  + ${d.generated.trim()}\n`,
    );
    return 1;
  }
  writeFileSync(SCHEMA_PATH, text);
  process.stdout.write(`wrote ${SCHEMA_PATH} (${text.length} bytes)\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
