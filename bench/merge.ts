/**
 * Combines the reports of several `npm run bench -- --only …` runs of the same pack into one
 * (ratios and targets recomputed). A scenario present in several inputs is taken from the first.
 *
 *   npx tsx bench/merge.ts OUT.json A.json B.json [...]
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { buildReport, markdownTable, type BenchReport, type ScenarioResult } from './report';

export function mergeReports(reports: BenchReport[]): BenchReport {
  const first = reports[0]!;
  for (const r of reports) {
    if (r.pack.id !== first.pack.id || r.pack.manifest !== first.pack.manifest) {
      throw new Error(`different packs: ${first.pack.id} and ${r.pack.id}`);
    }
  }
  const scenarios: ScenarioResult[] = [];
  for (const r of reports) for (const s of r.scenarios) if (!scenarios.some((x) => x.id === s.id)) scenarios.push(s);
  const native = reports.find((r) => r.native?.ok)?.native ?? first.native;
  const merged = buildReport({
    started: new Date(first.startedAt),
    quick: reports.every((r) => r.quick),
    machine: {
      ...first.machine,
      runs: reports.map((r) => ({
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
        scenarios: r.scenarios.map((s) => s.id),
        loadavgStart: r.machine.loadavgStart,
        loadavgEnd: r.machine.loadavgEnd,
      })),
    },
    pack: first.pack,
    runs: first.runs,
    scenarios,
    native,
  });
  return { ...merged, finishedAt: reports[reports.length - 1]!.finishedAt };
}

if (process.argv[1]?.endsWith('merge.ts')) {
  const [out, ...inputs] = process.argv.slice(2);
  if (!out || inputs.length === 0) {
    console.error('usage: tsx bench/merge.ts OUT.json A.json B.json …');
    process.exit(1);
  }
  const merged = mergeReports(inputs.map((f) => JSON.parse(readFileSync(f, 'utf8')) as BenchReport));
  writeFileSync(out, JSON.stringify(merged, null, 1) + '\n');
  console.log(markdownTable(merged));
}
