import { DocLink } from '../features/docs/DocDialog';
import { useSamples } from '../features/image-drop/useSamples';

export function Footer() {
  const samples = useSamples();
  const credited = samples.filter((s) => s.credit);
  return (
    <footer className="footer">
      <p>
        A Masked Autoencoder (He et al., <cite>Masked Autoencoders Are Scalable Vision Learners</cite>, 2021) running in your
        browser with TensorFlow.js. Your pictures never leave this device; they are kept in this browser until you remove them.
      </p>
      {credited.length > 0 && (
        <div className="credits" data-testid="credits">
          <h2>Sample photos</h2>
          <ul>
            {credited.map((s) => <li key={s.file}><strong>{s.title}</strong>: {s.credit}</li>)}
          </ul>
          <p><DocLink url="./samples/CREDITS.md" title="Sample photo credits">Full credits and licences</DocLink></p>
        </div>
      )}
    </footer>
  );
}
