import { describe, expect, it } from 'vitest';
import { buildReport, exportFileName, reportJson, RESULT_FORMAT } from '../../../src/report';
import { makeCase } from '../history/fixtures';

describe('report', () => {
  it('collects per-modality and fused probabilities with class labels and the model card', () => {
    const r = makeCase('Left II', 1);
    const d = buildReport(r);
    expect(d.modalities.map((m) => m.modality)).toEqual(['bmode']);
    expect(d.modalities[0]!.top).toEqual({ id: 'metastatic', label: 'Metastatic', probability: 0.5 });
    expect(d.fused!.probabilities.map((p) => p.label)).toEqual(['Metastatic', 'Lymphoma', 'Benign']);
    expect(d.model.disclaimer).toBe('Not a diagnosis.');
  });

  it('exports the same result as JSON without image bytes', () => {
    const r = makeCase('Left II', 1);
    const text = reportJson(r, new Date('2026-02-01T00:00:00Z'));
    const j = JSON.parse(text);
    expect(j.format).toBe(RESULT_FORMAT);
    expect(j.results.bmode.probabilities).toEqual({ metastatic: 0.5, lymphoma: 0.3, benign: 0.2 });
    expect(j.fused.topClass).toBe('metastatic');
    expect(j.model).toMatchObject({ id: 'test-pack', version: '1.2.3' });
    expect(j.disclaimer).toBe('Not a diagnosis.');
    expect(text.length).toBeLessThan(5000);
  });

  it('makes safe file names', () => {
    expect(exportFileName({ createdAt: '2026-01-02T03:04:05.000Z', label: 'Müller / Level II?' }, '.json')).toBe(
      'lymphscope-2026-01-02-03-04-05-Muller-Level-II.json',
    );
  });
});
