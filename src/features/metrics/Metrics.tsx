import type { Metrics as MetricFigures } from '../../protocol/messages';
import { formatLoss, formatMaskedCount, formatMse, formatPsnr, type Figure } from './format';

function Value({ name, figure, testId }: { name: string; figure: Figure; testId: string }) {
  return (
    <div className="metric">
      <dt>{name}</dt>
      <dd data-testid={testId} title={figure.title}>{figure.text}</dd>
    </div>
  );
}

/** One row's figures; `metrics` null while nothing has been reconstructed. */
export function Metrics({ metrics, numPatches }: { metrics: MetricFigures | null; numPatches: number | null }) {
  const waiting: Figure = { text: '…', title: 'waiting for the model' };
  return (
    <dl className="metrics" data-testid="metrics">
      <Value name="Masked patches" testId="metric-masked" figure={metrics ? { text: formatMaskedCount(metrics, numPatches), title: 'patches hidden from the encoder' } : waiting} />
      <Value name="MSE (masked)" testId="metric-mse" figure={metrics ? formatMse(metrics.mse) : waiting} />
      <Value name="PSNR (masked)" testId="metric-psnr" figure={metrics ? formatPsnr(metrics.psnr) : waiting} />
      <Value name="Loss" testId="metric-loss" figure={metrics ? formatLoss(metrics.loss) : waiting} />
    </dl>
  );
}
