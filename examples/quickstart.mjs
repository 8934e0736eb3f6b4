// README's Node quickstart. Run it with the server of "Try it" up: node examples/quickstart.mjs
// (from another project, after `npm install <path>/lakestream-0.1.0.tgz`, the same file works).
import { connect } from 'lakestream';

const conn = connect(process.env.LAKESTREAM_SERVER ?? 'http://127.0.0.1:9123');
const events = await conn.table('shop', 'events');
const writer = events.appendWriter(); // batches rows into Arrow, retries without duplicates
for (let i = 0; i < 10_000; i++) writer.append({ id: BigInt(i), kind: 'click', at: Date.now() });
await writer.close();

// to: 'latest' ends at the end of the log as of now; without it the scanner tails until stop().
let rows = 0;
for await (const rec of events.scanner({ from: 'earliest', to: 'latest' })) {
  if (rows++ < 3) console.log(rec.bucket, rec.offset, rec.row);
}
console.log(`${rows} rows in shop.events`);
await conn.close();
