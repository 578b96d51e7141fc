import { describe, expect, it } from 'vitest';
import { catalogueEntry } from './catalogue';
import { PAPER_QUALITY_FILE_ID, PAPER_QUALITY_HUB_ID } from './QualityNote';

describe('the way to paper-quality results', () => {
  it('names catalogue entries: the authors’ ViT-L visualisation file to drop, and a hub model the page loads', () => {
    const file = catalogueEntry(PAPER_QUALITY_FILE_ID);
    expect(file?.origin).toBe('external');
    expect(file?.fileName).toBe('mae_visualize_vit_large.pth');
    expect(file?.downloadUrl).toMatch(/^https:\/\/dl\.fbaipublicfiles\.com\/mae\/visualize\/mae_visualize_vit_large\.pth$/);
    const hub = catalogueEntry(PAPER_QUALITY_HUB_ID);
    expect(hub?.origin).toBe('hub');
    expect(hub?.sizeBytes).toBeGreaterThan(0);
  });
});
