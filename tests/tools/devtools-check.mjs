// Loads Chrome Trace JSON exports with Chrome DevTools' own trace engine (npm @paulirish/trace_engine) and
// counts, per thread, the slices and instants it keeps against those the file has: DevTools silently drops an
// event it cannot fit into a thread's tree (an end past the next start in double arithmetic, an overlap).
// Also prints the process and thread names it reads. Exit code 1 if anything was dropped or misnamed.
//
//   mkdir -p /tmp/devtools-check && (cd /tmp/devtools-check && npm install @paulirish/trace_engine)
//   node tests/tools/devtools-check.mjs /tmp/devtools-check trace1.json [trace2.json ...]
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [engineDir, ...files] = process.argv.slice(2);
if (!engineDir || files.length === 0) {
    console.error('usage: node devtools-check.mjs ENGINE_INSTALL_DIR trace.json...');
    process.exit(2);
}

// The engine expects a browser's DOMRect; only its constructor and fields are used while parsing.
globalThis.DOMRect ??= class {
    constructor(x = 0, y = 0, width = 0, height = 0) {
        Object.assign(this, { x, y, width, height, left: x, top: y, right: x + width, bottom: y + height });
    }
};

const enginePath = path.join(engineDir, 'node_modules/@paulirish/trace_engine/models/trace/trace.js');
const Trace = await import(pathToFileURL(enginePath).href);

// The events that made it into a thread's tree.
function keptEvents(tree) {
    const kept = new Set();
    const stack = [...(tree?.roots ?? [])];
    while (stack.length) {
        const node = stack.pop();
        kept.add(node.entry);
        stack.push(...node.children);
    }
    return kept;
}

let failed = false;
for (const file of files) {
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const events = json.traceEvents ?? json;
    const written = new Map(); // "pid/tid" → slices and instants the file has
    const names = new Map(); // "pid/tid" → thread_name written; "pid" → process_name written
    for (const e of events) {
        const key = `${e.pid}/${e.tid}`;
        if (e.ph === 'X' || e.ph === 'i' || e.ph === 'I')
            written.set(key, (written.get(key) ?? 0) + 1);
        if (e.ph === 'M' && e.name === 'thread_name')
            names.set(key, e.args.name);
        if (e.ph === 'M' && e.name === 'process_name')
            names.set(`${e.pid}`, e.args.name);
    }
    const model = Trace.TraceModel.Model.createWithAllHandlers();
    await model.parse(events);
    const parsed = model.parsedTrace();
    const kept = new Map();
    for (const [pid, proc] of (parsed.data ?? parsed).Renderer.processes)
        for (const [tid, thread] of proc.threads)
        {
            const events = keptEvents(thread.tree);
            const dropped = thread.entries.filter(e => !events.has(e));
            kept.set(`${pid}/${tid}`, { count: events.size, name: thread.name, dropped });
        }
    let totalWritten = 0;
    let totalKept = 0;
    console.log(`${file}:`);
    for (const [key, n] of [...written].sort()) {
        const k = kept.get(key) ?? { count: 0, name: undefined };
        totalWritten += n;
        totalKept += k.count;
        const nameOk = k.name === undefined || k.name === names.get(key);
        const pid = key.split('/')[0];
        console.log(`  pid ${pid} (${names.get(pid)}) tid ${key.split('/')[1]} "${names.get(key)}": wrote ${n}, ` +
            `DevTools kept ${k.count}` + (nameOk ? '' : `, but names the thread "${k.name}"`));
        for (const e of (k.dropped ?? []).slice(0, 3))
            console.log(`    dropped: ${e.ph} "${e.name}" ts ${e.ts} dur ${e.dur ?? '-'}`);
        if (k.count !== n || !nameOk)
            failed = true;
    }
    const pct = totalWritten ? (100 * (totalWritten - totalKept) / totalWritten).toFixed(2) : '0';
    console.log(`  total: wrote ${totalWritten}, kept ${totalKept} (${pct}% dropped)`);
}
process.exit(failed ? 1 : 0);
