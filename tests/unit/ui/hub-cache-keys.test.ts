// The page finds the worker's hub downloads by URL: its idea of the keys must match the worker's.
import { describe, expect, it } from 'vitest';
import { hubFileUrl } from '../../../src/checkpoints/hub';
import { hubFilePrefix } from '../../../src/features/checkpoint/catalogue';
import { describeCacheUrl } from '../../../src/features/checkpoint/hubCache';

describe('hub cache keys', () => {
  it('match the URLs the worker caches under', () => {
    for (const [endpoint, repo, revision] of [
      ['https://huggingface.co', 'facebook/vit-mae-base', 'main'],
      ['http://127.0.0.1:8123/', 'org/my.model-v2', 'refs/pr/1'],
      ['https://mirror.example/hf', 'a/b', '0123abcd'],
    ]) {
      const url = hubFileUrl(endpoint, { repo, revision }, 'model.safetensors');
      expect(url.startsWith(hubFilePrefix(repo, revision, endpoint))).toBe(true);
      expect(describeCacheUrl(url)).toMatchObject({ endpoint: endpoint.replace(/\/+$/, ''), repo, revision, file: 'model.safetensors' });
    }
  });
});
