// Saving a row as a PNG via a canvas (browser only): the panels with their captions and what
// produced them (checkpoint, mask, seed, figures) written into the picture.
import { figureLayout, FIGURE_TEXT_FONT_PX, FIGURE_TITLE_FONT_PX, type FigureText } from './compose';

/** Colours of the figure: background, text, secondary text. */
const FIGURE_BG = '#ffffff';
const FIGURE_INK = '#15171a';
const FIGURE_MUTED = '#5d6570';
const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';

/** The panels (each `size` x `height` RGBA, square by default) with the figure's words, as a PNG. */
export function labelledFigurePng(panels: Uint8ClampedArray[], size: number, text: FigureText, height = size): Promise<Blob> {
  const layout = figureLayout(panels.length, size, text.footer.length, height);
  const canvas = document.createElement('canvas');
  canvas.width = layout.width;
  canvas.height = layout.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return Promise.reject(new Error('no 2D canvas'));
  ctx.fillStyle = FIGURE_BG;
  ctx.fillRect(0, 0, layout.width, layout.height);
  ctx.textBaseline = 'top';
  ctx.fillStyle = FIGURE_INK;
  ctx.font = `600 ${FIGURE_TITLE_FONT_PX}px ${FONT_FAMILY}`;
  ctx.fillText(text.title, layout.panelX[0], layout.titleY, layout.width - 2 * layout.panelX[0]);
  panels.forEach((p, k) => ctx.putImageData(new ImageData(new Uint8ClampedArray(p), size, height), layout.panelX[k], layout.panelsY));
  ctx.font = `${FIGURE_TEXT_FONT_PX}px ${FONT_FAMILY}`;
  ctx.textAlign = 'center';
  text.captions.forEach((c, k) => ctx.fillText(c, layout.panelX[k] + size / 2, layout.captionY, size));
  ctx.textAlign = 'left';
  text.footer.forEach((line, k) => {
    ctx.fillStyle = k === 0 ? FIGURE_INK : FIGURE_MUTED;
    ctx.fillText(line, layout.panelX[0], layout.footerY[k], layout.width - 2 * layout.panelX[0]);
  });
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be encoded'))), 'image/png'));
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
