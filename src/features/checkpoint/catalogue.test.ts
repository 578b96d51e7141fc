import { describe, expect, it } from 'vitest';
import { formatRef, parseRef } from '../../store/checkpointRef';
import { DEFAULT_SOURCE, FALLBACK_SOURCE } from '../../store/sessionSlice';
import { CATALOGUE, catalogueEntry, hubFilePrefix, loadable, sourceForEntry } from './catalogue';

const byId = (id: string) => {
  const e = catalogueEntry(id);
  if (!e) throw new Error(`no catalogue entry ${id}`);
  return e;
};

describe('checkpoint catalogue', () => {
  it('has unique ids, and every loadable id is the URL reference that loads it', () => {
    const ids = CATALOGUE.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of CATALOGUE.filter(loadable)) {
      const ref = parseRef(e.id);
      expect(ref, e.id).not.toBeNull();
      expect(formatRef(ref!)).toBe(e.id);
    }
    expect(ids).toContain('bundled');
    expect(ids).toContain('random');
  });

  it('lists every fact the picker shows, consistently', () => {
    for (const e of CATALOGUE) {
      expect(e.title.length, e.id).toBeGreaterThan(0);
      expect(e.licence.length, e.id).toBeGreaterThan(0);
      expect(e.sourceUrl, e.id).toMatch(/^(https:\/\/|\.\/)/);
      expect(e.imgSize % e.patchSize, e.id).toBe(0);
      if (e.origin === 'hub' || e.origin === 'external') {
        // float32 weights: about 4 bytes a parameter
        expect(e.sizeBytes! / (4 * e.parameters!), e.id).toBeGreaterThan(0.95);
        expect(e.sizeBytes! / (4 * e.parameters!), e.id).toBeLessThan(1.05);
      }
    }
  });

  it('names the hub checkpoints as the issue describes', () => {
    const base = byId('hf:facebook/vit-mae-base');
    expect(base).toMatchObject({ origin: 'hub', patchSize: 16, normPixLoss: false, hub: { repo: 'facebook/vit-mae-base', revision: 'main', file: 'model.safetensors' } });
    expect(base.parameters).toBe(111_907_840);
    expect(base.sizeBytes).toBeGreaterThan(440e6);
    expect(base.sizeBytes).toBeLessThan(460e6);
    expect(base.licence).toBe('Apache-2.0');
    expect(base.licenceNote).toMatch(/CC BY-NC 4\.0/);

    const large = byId('hf:facebook/vit-mae-large@refs/pr/1');
    expect(large.hub).toEqual({ repo: 'facebook/vit-mae-large', revision: 'refs/pr/1', file: 'model.safetensors' });
    expect(large.sizeBytes).toBeGreaterThan(1.25e9);

    const huge = byId('hf:facebook/vit-mae-huge');
    expect(huge).toMatchObject({ patchSize: 14, hub: { file: 'pytorch_model.bin', revision: 'main' } });
    expect(huge.sizeBytes).toBeGreaterThan(2.5e9);
  });

  it('links the reference visualisation checkpoints for dropping, never downloads them', () => {
    const files = ['mae_visualize_vit_large.pth', 'mae_visualize_vit_large_ganloss.pth', 'mae_visualize_vit_base.pth', 'mae_visualize_vit_huge.pth'];
    for (const f of files) {
      const e = byId(`fair:${f}`);
      expect(e.origin).toBe('external');
      expect(loadable(e)).toBe(false);
      expect(e.downloadUrl).toBe(`https://dl.fbaipublicfiles.com/mae/visualize/${f}`);
      expect(e.fileName).toBe(f);
      expect(e.licence).toBe('CC BY-NC 4.0');
      expect(e.normPixLoss).toBe(false);
      expect(sourceForEntry(e, 'https://huggingface.co')).toBeNull();
    }
    expect(byId('fair:mae_visualize_vit_huge.pth').patchSize).toBe(14);
  });

  it('turns entries into the sources the worker loads', () => {
    expect(sourceForEntry(byId('bundled'), 'x')).toBe(DEFAULT_SOURCE);
    expect(sourceForEntry(byId('random'), 'x')).toBe(FALLBACK_SOURCE);
    expect(sourceForEntry(byId('hf:facebook/vit-mae-large@refs/pr/1'), 'http://127.0.0.1:9')).toEqual({
      kind: 'hub', repo: 'facebook/vit-mae-large', revision: 'refs/pr/1', endpoint: 'http://127.0.0.1:9', label: 'ViT-MAE Large (facebook/vit-mae-large)',
    });
  });

  it('knows the cache keys of a hub repository', () => {
    expect(hubFilePrefix('facebook/vit-mae-large', 'refs/pr/1', 'https://huggingface.co/')).toBe('https://huggingface.co/facebook/vit-mae-large/resolve/refs%2Fpr%2F1/');
  });
});
