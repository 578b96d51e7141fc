// Naming checkpoints: the short references the URL carries (`ckpt=bundled|random|hf:org/name@rev`),
// hub repository input as a visitor types it, and the CheckpointSource each reference loads.
import type { CheckpointSource } from '../protocol/messages';
import { DEFAULT_REVISION, parseHubInput } from '../shared/hub';
import { SAVED_ID_RE } from './savedCheckpoints';

// The hub reference grammar is shared with the worker and the command line (src/shared/hub.ts).
export { DEFAULT_REVISION, parseHubInput, validRevision, type HubInput } from '../shared/hub';

/** A checkpoint as a link names it. */
export type CheckpointRef =
  | { kind: 'bundled' }
  | { kind: 'random' }
  | { kind: 'hub'; repo: string; revision: string }
  /** A file from the visitor's disk: a link can name it but not load it. */
  | { kind: 'file'; name: string }
  /** A fine-tuned checkpoint kept in this browser (IndexedDB), by its id: loads where it was saved. */
  | { kind: 'saved'; id: string };

/** Query parameters of the chosen checkpoint and of the comparison checkpoint. */
export const CKPT_URL_KEY = 'ckpt';
export const COMPARE_URL_KEY = 'cmp';

/** The URL form of a reference: `bundled`, `random`, `hf:org/name[@rev]`, `file:name`, `saved:id`. */
export function formatRef(ref: CheckpointRef): string {
  switch (ref.kind) {
    case 'bundled':
    case 'random':
      return ref.kind;
    case 'hub':
      return `hf:${ref.repo}${ref.revision === DEFAULT_REVISION ? '' : `@${ref.revision}`}`;
    case 'file':
      return `file:${ref.name}`;
    case 'saved':
      return `saved:${ref.id}`;
  }
}

/** A reference from its URL form; null when it names nothing valid. */
export function parseRef(raw: string | null | undefined): CheckpointRef | null {
  if (typeof raw !== 'string') return null;
  const s = raw.trim();
  if (s === 'bundled' || s === 'random') return { kind: s };
  if (s.startsWith('hf:')) {
    const r = parseHubInput(s.slice(3));
    return r.ok ? { kind: 'hub', repo: r.repo, revision: r.revision } : null;
  }
  if (s.startsWith('file:') && s.length > 5) return { kind: 'file', name: s.slice(5, 5 + 255) };
  if (s.startsWith('saved:') && SAVED_ID_RE.test(s.slice(6))) return { kind: 'saved', id: s.slice(6) };
  return null;
}

/** A reference in its canonical URL form, or null (`hf:a/b@main` becomes `hf:a/b`). */
export function canonicalRef(raw: string | null | undefined): string | null {
  const r = parseRef(raw);
  return r ? formatRef(r) : null;
}

/** Label of a hub checkpoint: its repository, and the revision when not the default. */
export const hubLabel = (repo: string, revision: string): string => (revision === DEFAULT_REVISION ? repo : `${repo}@${revision}`);

/** What the store loads for a reference; null for a file (a link cannot carry one) and a kept checkpoint (read from IndexedDB first). */
export function sourceForRef(ref: CheckpointRef, o: { defaultSource: CheckpointSource; fallbackSource: CheckpointSource; endpoint: string }): CheckpointSource | null {
  switch (ref.kind) {
    case 'bundled':
      return o.defaultSource;
    case 'random':
      return o.fallbackSource;
    case 'hub':
      return { kind: 'hub', repo: ref.repo, revision: ref.revision, endpoint: o.endpoint, label: hubLabel(ref.repo, ref.revision) };
    case 'file':
    case 'saved':
      return null;
  }
}

/** The URL form of the reference a source loads; null for a source a link cannot name. */
export function refForSource(source: CheckpointSource, defaultSource: CheckpointSource): string | null {
  switch (source.kind) {
    case 'url':
      return defaultSource.kind === 'url' && source.baseUrl === defaultSource.baseUrl ? 'bundled' : null;
    case 'random':
      return 'random';
    case 'hub':
      return formatRef({ kind: 'hub', repo: source.repo, revision: source.revision || DEFAULT_REVISION });
    case 'files':
      return source.savedId ? formatRef({ kind: 'saved', id: source.savedId }) : formatRef({ kind: 'file', name: source.label });
  }
}

/** The checkpoint references a query string names (raw; validated when loaded). */
export function parseUrlCheckpoints(search: string): { ckpt?: string; compare?: string } {
  const p = new URLSearchParams(search);
  const out: { ckpt?: string; compare?: string } = {};
  const ckpt = p.get(CKPT_URL_KEY);
  const cmp = p.get(COMPARE_URL_KEY);
  if (ckpt !== null) out.ckpt = ckpt;
  if (cmp !== null) out.compare = cmp;
  return out;
}

/** Writes (or removes, for null) the checkpoint parameters into a query string; returns it with its `?`. */
export function serializeUrlCheckpoints(refs: { ckpt: string | null; compare: string | null }, existing = ''): string {
  const p = new URLSearchParams(existing);
  if (refs.ckpt) p.set(CKPT_URL_KEY, refs.ckpt);
  else p.delete(CKPT_URL_KEY);
  if (refs.compare) p.set(COMPARE_URL_KEY, refs.compare);
  else p.delete(COMPARE_URL_KEY);
  const s = p.toString();
  return s ? `?${s}` : '';
}
