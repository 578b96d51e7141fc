// Which project document (model card, credits) is open in the page's reader, if any.
import { useSyncExternalStore } from 'react';

/** A document the reader shows: a Markdown file served with the page. */
export interface DocRef {
  /** Address of the Markdown file, relative to the page or absolute. */
  url: string;
  /** Title until the document's own heading is read. */
  title: string;
}

let current: DocRef | null = null;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

/** Opens a document in the reader (replacing any open one). */
export function openDoc(doc: DocRef): void {
  current = doc;
  emit();
}

/** Closes the reader. */
export function closeDoc(): void {
  current = null;
  emit();
}

/** The open document, kept up to date. */
export function useOpenDoc(): DocRef | null {
  return useSyncExternalStore((l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  }, () => current, () => null);
}
