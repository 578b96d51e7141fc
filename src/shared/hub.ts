// The Hugging Face hub, as the page, the worker and the command line all see it: one grammar for
// repository references, one URL layout, one list of weight files, one default address. Pure: no
// fetch, no tf, no DOM.

/** The public hub; `HF_ENDPOINT` (command line) or the page's setting replaces it. */
export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
/** Revision used when a reference names none. */
export const DEFAULT_REVISION = 'main';
/** The architecture file of a hub repository (optional). */
export const HUB_CONFIG_FILE = 'config.json';
/** Weight files tried in this order: transformers prefers the safetensors. */
export const HUB_WEIGHT_FILES: readonly string[] = Object.freeze(['model.safetensors', 'pytorch_model.bin']);

/** Longest organisation or repository name, in characters (the hub's own limit). */
export const MAX_HUB_NAME_CHARS = 96;
/** Longest revision (branch, tag, commit, refs/pr/N), in characters. */
export const MAX_REVISION_CHARS = 255;

/** A hub repository at a revision. */
export interface HubRef {
  /** `org/name` */
  repo: string;
  revision: string;
}

/** A parsed reference, or why it is not one (a sentence for the visitor). */
export type HubInput = ({ ok: true } & HubRef) | { ok: false; message: string };

/** One part of a repository id: letters, digits, `-`, `_`, `.`; not starting or ending with `-` or `.`. */
const PART_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
/** A branch, tag, commit or `refs/pr/N`: path segments of these characters. */
const REVISION_RE = /^[A-Za-z0-9_.][A-Za-z0-9_./-]*$/;
/** A hub page address: `https://host/org/name[/tree|blob|resolve/revision][/]`. */
const PAGE_RE = /^https?:\/\/[^/]+\/([^/]+\/[^/?#]+)(?:\/(?:tree|blob|resolve)\/([^/?#]+))?\/?(?:[?#].*)?$/;
const HF_PREFIX = 'hf:';

function checkPart(part: string, what: string): string | null {
  if (!part) return `the ${what} is missing`;
  if (part.length > MAX_HUB_NAME_CHARS) return `the ${what} is longer than ${MAX_HUB_NAME_CHARS} characters`;
  if (!PART_RE.test(part)) return `the ${what} “${part}” may only hold letters, digits, “-”, “_” and “.”, and must not start or end with “-” or “.”`;
  if (part.includes('--') || part.includes('..')) return `the ${what} “${part}” must not contain “--” or “..”`;
  return null;
}

/** Whether a revision is one the hub could have: no `.` or `..` segment, no empty segment. */
export function validRevision(rev: string): boolean {
  if (!REVISION_RE.test(rev) || rev.length > MAX_REVISION_CHARS) return false;
  return rev.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..') && !rev.includes('..');
}

function decodeOrNull(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * Parses a hub reference as a visitor types it: `org/name`, `org/name@revision`, `hf:org/name[@revision]`,
 * or a hub page address (`https://huggingface.co/org/name[/tree/revision]`). The one grammar of the
 * page and the command line.
 */
export function parseHubInput(text: string): HubInput {
  let s = text.trim();
  if (!s) return { ok: false, message: 'type a repository as org/name, optionally @revision' };
  let revision: string | null = null;
  const page = PAGE_RE.exec(s);
  if (page) {
    s = page[1];
    if (page[2]) {
      revision = decodeOrNull(page[2]);
      if (revision === null) return { ok: false, message: `“${page[2]}” is not a valid revision (a branch, tag, commit or refs/pr/N)` };
    }
  } else if (s.startsWith(HF_PREFIX)) s = s.slice(HF_PREFIX.length);
  const at = s.indexOf('@');
  if (at >= 0) {
    revision = s.slice(at + 1);
    s = s.slice(0, at);
    if (!revision) return { ok: false, message: 'the revision after “@” is empty' };
  }
  const parts = s.split('/');
  if (parts.length !== 2) return { ok: false, message: `“${s}” is not org/name (exactly one “/”)` };
  const bad = checkPart(parts[0], 'organisation or user') ?? checkPart(parts[1], 'repository name');
  if (bad) return { ok: false, message: bad };
  revision ??= DEFAULT_REVISION;
  if (!validRevision(revision)) return { ok: false, message: `“${revision}” is not a valid revision (a branch, tag, commit or refs/pr/N)` };
  return { ok: true, repo: s, revision };
}

/**
 * A hub address as requests want it (http or https, no trailing slash, no credentials, query or
 * hash), or null when `v` is not one.
 */
export function normaliseEndpoint(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (!s) return null;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return null;
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || !u.hostname || u.username || u.password) return null;
  if (u.search || u.hash) return null;
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** `{endpoint}/{org}/{name}/resolve/{revision}/`: where a repository's files live (and the cache keys' prefix). */
export function hubFilePrefix(endpoint: string, ref: HubRef): string {
  return `${endpoint.replace(/\/+$/, '')}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/`;
}

/** `{endpoint}/{org}/{name}/resolve/{revision}/{file}`, the hub's file layout. */
export function hubFileUrl(endpoint: string, ref: HubRef, file: string): string {
  return `${hubFilePrefix(endpoint, ref)}${file}`;
}

/** What a file URL in the hub layout names; null for a URL of another layout. */
export function parseHubFileUrl(url: string): ({ endpoint: string; file: string } & HubRef) | null {
  const m = /^(.*)\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
  if (!m) return null;
  return { endpoint: m[1], repo: m[2], revision: decodeOrNull(m[3]) ?? m[3], file: m[4] };
}

/** Whether a file name is one of the hub weight files. */
export const isHubWeightFile = (file: string): boolean => HUB_WEIGHT_FILES.includes(file);

/** FNV-1a offset basis and prime (32-bit): a short, stable digest of an address for cache folder names. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Longest readable part of an endpoint's cache folder name, in characters. */
const MAX_ENDPOINT_KEY_CHARS = 48;

/**
 * A folder name for a hub address in an on-disk cache: readable (host and path) and unique (a digest
 * of the whole address), so files from two mirrors never mix.
 */
export function endpointCacheKey(endpoint: string): string {
  const normal = endpoint.replace(/\/+$/, '');
  let h = FNV_OFFSET;
  for (let i = 0; i < normal.length; i++) h = Math.imul(h ^ normal.charCodeAt(i), FNV_PRIME) >>> 0;
  const readable = normal.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, MAX_ENDPOINT_KEY_CHARS);
  return `${readable}-${h.toString(16).padStart(8, '0')}`;
}

/** Path segments (relative to a cache root) of a repository's files at a revision and address. */
export function hubCacheSegments(endpoint: string, ref: HubRef): string[] {
  const [org, name] = ref.repo.split('/');
  return [endpointCacheKey(endpoint), org, name, encodeURIComponent(ref.revision)];
}
