// The question before a download a link asked for: what, how big (when the catalogue knows), yes or not now.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { CheckpointSource } from '../../protocol/messages';
import { DownloadPrompt } from './LoadStatus';

const hub = (repo: string, revision = 'main'): CheckpointSource => ({ kind: 'hub', repo, revision, endpoint: 'https://huggingface.co', label: repo });
const text = (html: string) => html.replace(/<[^>]+>/g, '');
const noop = () => undefined;

describe('download prompt', () => {
  it('names the repository and the catalogue’s size, with Download and Not now', () => {
    const html = renderToStaticMarkup(
      <DownloadPrompt slot="a" pending={{ ref: 'hf:facebook/vit-mae-base', source: hub('facebook/vit-mae-base') }} onConfirm={noop} onDismiss={noop} />);
    expect(text(html)).toContain('Download facebook/vit-mae-base (~448 MB)? It is not in this browser yet.');
    expect(html).not.toContain('download-host');
    expect(html).toContain('data-testid="confirm-download"');
    expect(html).toContain('data-testid="dismiss-download"');
  });

  it('names the host when a link set another hub address than the public hub', () => {
    const source: CheckpointSource = { kind: 'hub', repo: 'facebook/vit-mae-base', revision: 'main', endpoint: 'https://evil.example', label: 'facebook/vit-mae-base' };
    const html = renderToStaticMarkup(<DownloadPrompt slot="a" pending={{ ref: 'hf:facebook/vit-mae-base', source }} onConfirm={noop} onDismiss={noop} />);
    expect(text(html)).toContain('Download facebook/vit-mae-base (~448 MB) from evil.example (not the public hub)?');
    expect(html).toContain('data-testid="download-host"');
  });

  it('leaves the size out when the catalogue does not know it; B’s ids are prefixed', () => {
    const html = renderToStaticMarkup(
      <DownloadPrompt slot="b" pending={{ ref: 'hf:org/mine', source: hub('org/mine') }} onConfirm={noop} onDismiss={noop} />);
    expect(text(html)).toContain('B: Download org/mine? It is not in this browser yet.');
    expect(html).toContain('data-testid="compare-confirm-download"');
    expect(renderToStaticMarkup(<DownloadPrompt slot="a" pending={null} onConfirm={noop} onDismiss={noop} />)).toBe('');
  });
});
