import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createModelClient } from '../worker-client/client';
import { createBrowserFitter } from '../features/image-drop/browserDecoder';
import { createFileDecoder } from '../features/image-drop/decode';
import { hubFilePrefix } from '../features/checkpoint/catalogue';
import { browserCaches, hubWeightsCached } from '../features/checkpoint/hubCache';
import { createAppStore } from '../store/createAppStore';
import { idbPersistence, memoryPersistence } from '../store/persistence';
import { idbSavedCheckpoints, memorySavedCheckpoints } from '../store/savedCheckpoints';
import { StoreProvider } from '../store/react';
import { parseUrlCheckpoints } from '../store/checkpointRef';
import { parseUrlSettings } from '../store/settings';
import { parseUrlImages } from '../store/linkImages';
import { fetchSampleByName, FIRST_SAMPLE } from '../features/image-drop/samples';
import { App } from './App';
import { syncUrl } from './urlSync';
import './styles.css';

const client = createModelClient();
const store = createAppStore({
  client,
  decoder: createFileDecoder(createBrowserFitter()),
  persistence: typeof indexedDB !== 'undefined' ? idbPersistence() : memoryPersistence(),
  savedCheckpoints: typeof indexedDB !== 'undefined' ? idbSavedCheckpoints() : memorySavedCheckpoints(),
  urlSettings: parseUrlSettings(window.location.search),
  urlCheckpoints: parseUrlCheckpoints(window.location.search),
  urlImages: parseUrlImages(window.location.search),
  fetchSample: (file) => fetchSampleByName(file),
  firstSample: FIRST_SAMPLE,
  // Checkpoint B (compare) runs in a second worker, made only when the visitor compares.
  createCompareClient: () => createModelClient(),
  storage: typeof navigator !== 'undefined' && 'storage' in navigator && typeof navigator.storage?.persist === 'function' ? navigator.storage : null,
  // A link's hub checkpoint downloads at once only when this browser already has it.
  isHubCached: (hub) => hubWeightsCached(browserCaches(), hubFilePrefix(hub.repo, hub.revision, hub.endpoint)),
});
syncUrl(store);

// For debugging and end-to-end tests: the store, read-only by convention.
(window as unknown as { __maeStore?: typeof store }).__maeStore = store;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);

void store.getState().boot();

window.addEventListener('pagehide', (e) => {
  // A page kept in the back-forward cache comes back with its worker; only a real unload ends it.
  if (e.persisted) return;
  store.getState().teardown();
  client.dispose();
});
