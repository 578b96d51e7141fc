import { describe, expect, it } from 'vitest';
import { intakeFiles, routeFiles } from './intake';

const f = (name: string) => ({ name, blob: new Blob(['x']) });

describe('dropped, pasted and picked files', () => {
  it('go to the checkpoint loader by extension, everything else to the pictures', () => {
    const files = ['cat.jpg', 'model.safetensors', 'config.json', 'mae_visualize_vit_large.pth', 'pytorch_model.bin', 'ckpt.PT',
      'photo.PNG', 'notes.json', 'weights.safetensors.jpg', 'archive.zip', 'pasted-2024-01-01-10-00-00.png'].map(f);
    const { images, checkpoint } = routeFiles(files);
    expect(checkpoint.map((x) => x.name)).toEqual(['model.safetensors', 'config.json', 'mae_visualize_vit_large.pth', 'pytorch_model.bin', 'ckpt.PT']);
    expect(images.map((x) => x.name)).toEqual(['cat.jpg', 'photo.PNG', 'notes.json', 'weights.safetensors.jpg', 'archive.zip', 'pasted-2024-01-01-10-00-00.png']);
  });

  it('are handed to the store: pictures to addFiles, a checkpoint to slot A’s loadFiles (once, with its config)', async () => {
    const calls: { kind: string; names: string[] }[] = [];
    const sink = {
      addFiles: async (x: { name: string }[]) => void calls.push({ kind: 'images', names: x.map((y) => y.name) }),
      slotApi: { A: { loadFiles: async (x: { name: string }[]) => (calls.push({ kind: 'checkpoint', names: x.map((y) => y.name) }), true) } },
    };
    expect(intakeFiles(sink, [f('a.png'), f('model.safetensors'), f('config.json'), f('b.webp')])).toEqual({ images: 2, checkpoint: 2 });
    expect(calls).toEqual([{ kind: 'images', names: ['a.png', 'b.webp'] }, { kind: 'checkpoint', names: ['model.safetensors', 'config.json'] }]);
    calls.length = 0;
    intakeFiles(sink, [f('only.jpg')]);
    intakeFiles(sink, [f('mae_visualize_vit_base.pth')]);
    expect(calls.map((c) => c.kind)).toEqual(['images', 'checkpoint']);
  });
});
