import { CheckpointPicker } from '../features/checkpoint/CheckpointPicker';
import { FallbackBanner } from '../features/checkpoint/CheckpointStatus';
import { DropOverlay, ImageDrop } from '../features/image-drop/ImageDrop';
import { MaskControls } from '../features/mask-controls/MaskControls';
import { ImageList } from '../features/panels/ImageRow';
import { useApp } from '../store/react';
import { Footer } from './Footer';
import { Notices } from './Notices';
import { ModelError, StatusBar } from './StatusBar';

function EmptyState() {
  const count = useApp((s) => s.order.length);
  if (count) return null;
  return (
    <div className="empty" data-testid="empty-state">
      <div className="empty-art" aria-hidden="true">
        {Array.from({ length: 16 }, (_, i) => <span key={i} className={[1, 2, 4, 7, 8, 11, 13, 14, 15].includes(i) ? 'hidden' : ''} />)}
      </div>
      <p>No pictures yet. Add one and the model will try to paint back the patches you hide.</p>
    </div>
  );
}

export function App() {
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <h1>MAE Playground</h1>
          <p className="tagline">Hide most of a picture and watch a Masked Autoencoder paint it back.</p>
        </div>
        <StatusBar />
      </header>
      <FallbackBanner />
      <ModelError />
      <CheckpointPicker />
      <MaskControls />
      <main className="main">
        <ImageDrop />
        <EmptyState />
        <ImageList />
      </main>
      <Footer />
      <Notices />
      <DropOverlay />
    </div>
  );
}
