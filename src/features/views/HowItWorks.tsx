// "How MAE works": a collapsed figure above the pictures. The encoder sees only the visible
// patches; mask tokens fill the hidden places; a small decoder paints every patch; the loss scores
// the hidden patches only, which is why the raw output's visible patches look worse.

/** The paper: He et al., Masked Autoencoders Are Scalable Vision Learners (2021). */
export const PAPER_URL = 'https://arxiv.org/abs/2111.06377';

/** Patches drawn in the figure's strip (a 3 x 3 picture) and which of them are hidden. */
const STRIP = [0, 1, 1, 0, 1, 1, 1, 0, 1];
/** Side of one patch square in the figure, in SVG units. */
const CELL = 16;
/** Gap between patch squares, in SVG units. */
const GAP = 3;

/** A column of patch squares at (x, y): visible ones filled, hidden ones grey, dashed (mask tokens) or outlined (scored). */
function Patches({ x, y, which, hidden }: { x: number; y: number; which: number[]; hidden: 'grey' | 'token' | 'scored' | 'none' }) {
  return (
    <g>
      {which.map((m, i) => (
        <rect key={i} x={x} y={y + i * (CELL + GAP)} width={CELL} height={CELL} rx={2}
          className={m && hidden !== 'none' ? `how-${hidden}` : 'how-visible'} />
      ))}
    </g>
  );
}

function Box({ x, y, w, h, label, sub }: { x: number; y: number; w: number; h: number; label: string; sub: string }) {
  return (
    <g>
      <rect x={x} y={y} width={w} height={h} rx={8} className="how-box" />
      <text x={x + w / 2} y={y + h / 2 - 4} textAnchor="middle" className="how-label">{label}</text>
      <text x={x + w / 2} y={y + h / 2 + 12} textAnchor="middle" className="how-sub">{sub}</text>
    </g>
  );
}

/** A right-pointing arrow from x1 to x2 at height y. */
const Arrow = ({ x1, x2, y }: { x1: number; x2: number; y: number }) => (
  <g className="how-arrow">
    <line x1={x1} y1={y} x2={x2 - 6} y2={y} />
    <path d={`M${x2 - 7} ${y - 4} L${x2} ${y} L${x2 - 7} ${y + 4} z`} />
  </g>
);

/** A column's caption, centred above it. */
const Caption = ({ x, text }: { x: number; text: string }) => <text x={x + CELL / 2} y={14} textAnchor="middle" className="how-sub">{text}</text>;

export function HowItWorks() {
  const visible = STRIP.map((m, i) => (m ? -1 : i)).filter((i) => i >= 0).map(() => 0);
  const colH = STRIP.length * (CELL + GAP);
  const mid = colH / 2;
  /** Top of the patch columns, below their captions, in SVG units. */
  const top = 26;
  return (
    <details className="how-mae" data-testid="how-mae-works">
      <summary>How a masked autoencoder works</summary>
      <svg className="how-mae-figure" viewBox="0 0 720 210" role="img"
        aria-label="Picture cut into patches; most are hidden; the encoder reads the visible ones; mask tokens fill the hidden places; the decoder paints every patch; the loss compares only the hidden ones">
        <style>{`
          .how-visible { fill: #60a5fa; } .how-grey { fill: #9ca3af; } .how-token { fill: none; stroke: #f59e0b; stroke-width: 2; stroke-dasharray: 3 2; }
          .how-scored { fill: #60a5fa; stroke: #dc2626; stroke-width: 2.5; }
          .how-box { fill: none; stroke: currentColor; stroke-width: 1.5; } .how-arrow { fill: currentColor; stroke: currentColor; stroke-width: 1.5; }
          .how-label { font: 600 14px system-ui, sans-serif; fill: currentColor; } .how-sub { font: 11px system-ui, sans-serif; fill: currentColor; opacity: 0.8; }
          .how-loss { fill: #dc2626; font: 600 12px system-ui, sans-serif; }
        `}</style>
        <Caption x={30} text="patches" />
        <Patches x={30} y={top} which={STRIP} hidden="grey" />
        <Arrow x1={54} x2={96} y={top + mid} />
        <Caption x={104} text="visible" />
        <Patches x={104} y={top + (colH - visible.length * (CELL + GAP)) / 2} which={visible} hidden="none" />
        <Arrow x1={128} x2={160} y={top + mid} />
        <Box x={162} y={top + mid - 40} w={150} h={80} label="Encoder" sub="a ViT, visible patches only" />
        <Arrow x1={314} x2={352} y={top + mid} />
        <Caption x={360} text="+ mask tokens" />
        <Patches x={360} y={top} which={STRIP} hidden="token" />
        <Arrow x1={384} x2={420} y={top + mid} />
        <Box x={422} y={top + mid - 40} w={130} h={80} label="Decoder" sub="small, every place" />
        <Arrow x1={554} x2={590} y={top + mid} />
        <Caption x={598} text="output" />
        <Patches x={598} y={top} which={STRIP} hidden="scored" />
        <text x={624} y={top + mid - 6} className="how-loss">loss: hidden</text>
        <text x={624} y={top + mid + 10} className="how-loss">patches only</text>
      </svg>
      <p>
        The picture is cut into patches (16 px squares in most checkpoints) and most of them (75 % in the paper) are hidden. The <strong>encoder</strong> reads
        only the visible patches, which makes pre-training fast; a learned <strong>mask token</strong> then takes each hidden
        patch's place, and a small <strong>decoder</strong> paints a patch for every place. Training scores the hidden patches
        only, so the encoder must learn what pictures are made of to fill them in.
      </p>
      <p>
        That is also why, in the raw reconstruction, the visible patches look <em>worse</em> than they were: nothing ever
        asked the decoder to copy them. Pasting the originals back (the last panel) shows only what the model invented.
        After pre-training the decoder is thrown away and the encoder is used, on whole pictures, for other tasks.
        Paper: <a href={PAPER_URL} target="_blank" rel="noopener noreferrer" data-testid="paper-link">He et al., Masked Autoencoders Are Scalable Vision Learners (2021)</a>.
      </p>
    </details>
  );
}
