// Says, beside the results, that the bundled model is small and blurry, and the way to the
// paper's sharp reconstructions: the authors' visualisation checkpoint (download, then drop it
// here) or a hub model the page downloads itself.
import { useApp, useAppStore } from '../../store/react';
import { DocLink } from '../docs/DocDialog';
import { catalogueEntry, sourceForEntry } from './catalogue';
import { formatBytes, formatParams } from './format';

/** The authors' visualisation checkpoint the reference demo uses (catalogue id). */
export const PAPER_QUALITY_FILE_ID = 'fair:mae_visualize_vit_large.pth';
/** The hub model the page can download by itself (catalogue id). */
export const PAPER_QUALITY_HUB_ID = 'hf:facebook/vit-mae-base';

export function QualityNote() {
  const store = useAppStore();
  const bundled = useApp((s) => s.slots.A.ref === 'bundled' && s.slots.A.checkpoint?.kind === 'url');
  const info = useApp((s) => s.slots.A.info);
  const busy = useApp((s) => !!s.slots.A.loading);
  const bundledEntry = catalogueEntry('bundled');
  const file = catalogueEntry(PAPER_QUALITY_FILE_ID);
  const hub = catalogueEntry(PAPER_QUALITY_HUB_ID);
  if (!bundled || !info || !file || !hub || !bundledEntry) return null;
  const hubText = `Download ${hub.title}${hub.sizeBytes ? ` (${formatBytes(hub.sizeBytes)})` : ''}`;
  return (
    <aside className="quality-note" data-testid="quality-note" aria-label="About the bundled model">
      <p>
        <strong>Blurry?</strong> The bundled model is tiny ({formatParams(info.parameters)} parameters, trained for this page
        on about a hundred photos: <DocLink url={bundledEntry.sourceUrl} title="Model card">model card</DocLink>). For the paper’s sharp
        results, drop the authors’ <a href={file.downloadUrl} download={file.fileName} rel="noopener noreferrer"
          data-testid="quality-file-link">{file.fileName}</a>{file.sizeBytes ? ` (${formatBytes(file.sizeBytes)})` : ''} onto this page, or:
      </p>
      <button type="button" className="button button-small" data-testid="quality-hub-load" disabled={busy}
        onClick={() => { const s = sourceForEntry(hub, store.getState().settings.hfEndpoint); if (s) void store.getState().slotApi.A.load(s); }}>
        {hubText}
      </button>
    </aside>
  );
}
