import { CameraPanel } from '../features/camera/CameraPanel';
import { CheckpointPicker } from '../features/checkpoint/CheckpointPicker';
import { FallbackBanner } from '../features/checkpoint/CheckpointStatus';
import { QualityNote } from '../features/checkpoint/QualityNote';
import { DocDialogHost } from '../features/docs/DocDialog';
import { FinetunePanel } from '../features/finetune/FinetunePanel';
import { DropOverlay, ImageDrop } from '../features/image-drop/ImageDrop';
import { MaskControls } from '../features/mask-controls/MaskControls';
import { ImageList } from '../features/panels/ImageRow';
import { useApp } from '../store/react';
import { Footer } from './Footer';
import { Notices } from './Notices';
import { BackendFallbackBanner, ModelError, StatusBar } from './StatusBar';
import { PHONE_QUERY, useMediaQuery } from './useMediaQuery';

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
  // On a phone the pictures and results come first and the settings after them; keyed, so
  // reordering keeps each part's state.
  const phone = useMediaQuery(PHONE_QUERY);
  const picker = <CheckpointPicker key="picker" />;
  const controls = <MaskControls key="controls" />;
  const finetune = <FinetunePanel key="finetune" />;
  const main = (
    <main className="main" key="main" data-testid="main">
      <ImageDrop />
      <CameraPanel />
      {!phone && <QualityNote />}
      <EmptyState />
      <ImageList />
      {phone && <QualityNote />}
    </main>
  );
  return (
    <div className="app" data-layout={phone ? 'phone' : 'wide'}>
      <header className="topbar">
        <div className="brand">
          <h1>MAE Playground</h1>
          <p className="tagline">Hide most of a picture and watch a Masked Autoencoder paint it back.</p>
        </div>
        <StatusBar />
      </header>
      <Notices />
      <BackendFallbackBanner />
      <FallbackBanner />
      <ModelError />
      {phone ? [main, controls, picker, finetune] : [picker, controls, main, finetune]}
      <Footer />
      <DropOverlay />
      <DocDialogHost />
    </div>
  );
}
