// The row's four panels as one picture (for the download button).
import { sideBySide } from '../../shared/panels';

export const COMPOSITE_GAP_PX = 8;

export interface Composite { width: number; height: number; data: Uint8ClampedArray }

/** The panels (all `size` x `size`) left to right with white gaps. */
export function compositePanels(panels: Uint8ClampedArray[], size: number): Composite {
  return sideBySide(panels, size, COMPOSITE_GAP_PX, 255);
}

/** A file name for the download: the picture's name, then how it was masked. */
export function downloadName(imageName: string, how: { pattern: string; ratioPct: number; seed: number }): string {
  const base = imageName.replace(/\.[a-z0-9]{1,5}$/i, '').replace(/[^\w.-]+/g, '_').replace(/^[._]+|[._]+$/g, '').slice(0, 80) || 'image';
  const what = how.pattern === 'painted' ? 'painted' : `${how.pattern}-${how.ratioPct}pct-seed${how.seed}`;
  return `${base}-mae-${what}.png`;
}

/** Space around and between the parts of a labelled figure, in px. */
export const FIGURE_MARGIN_PX = 16;
/** Font sizes of the figure's title and of its other text, in px. */
export const FIGURE_TITLE_FONT_PX = 16;
export const FIGURE_TEXT_FONT_PX = 13;
/** Line height as a multiple of the font size. */
const LINE_HEIGHT = 1.4;

/** The words inside a labelled figure. */
export interface FigureText {
  title: string;
  /** One per panel, under it. */
  captions: string[];
  /** Lines under the captions (mask, seed, figures, checkpoint). */
  footer: string[];
}

/** Where each part of a labelled figure goes (top of each text line; panels `size` px wide, `panelHeight` high). */
export interface FigureLayout {
  width: number;
  height: number;
  titleY: number;
  panelsY: number;
  /** Left edge of each panel. */
  panelX: number[];
  captionY: number;
  footerY: number[];
  lineHeight: { title: number; text: number };
}

/** The layout of a figure: title, panels side by side with their captions, then the footer lines (panels square unless `panelHeight` is given). */
export function figureLayout(panelCount: number, size: number, footerLines: number, panelHeight = size): FigureLayout {
  const title = Math.ceil(FIGURE_TITLE_FONT_PX * LINE_HEIGHT);
  const text = Math.ceil(FIGURE_TEXT_FONT_PX * LINE_HEIGHT);
  const panelX = Array.from({ length: panelCount }, (_, k) => FIGURE_MARGIN_PX + k * (size + COMPOSITE_GAP_PX));
  const titleY = FIGURE_MARGIN_PX;
  const panelsY = titleY + title + COMPOSITE_GAP_PX;
  const captionY = panelsY + panelHeight + COMPOSITE_GAP_PX / 2;
  const footerTop = captionY + text + COMPOSITE_GAP_PX;
  const footerY = Array.from({ length: footerLines }, (_, k) => footerTop + k * text);
  return {
    width: 2 * FIGURE_MARGIN_PX + panelCount * size + (panelCount - 1) * COMPOSITE_GAP_PX,
    height: footerTop + footerLines * text + FIGURE_MARGIN_PX - (footerLines ? 0 : COMPOSITE_GAP_PX),
    titleY, panelsY, panelX, captionY, footerY, lineHeight: { title, text },
  };
}

/** What a figure says about one result. */
export interface FigureFacts {
  imageName: string;
  checkpoint: string | null;
  pattern: string;
  ratioPct: number;
  seed: number;
  maskedCount: number;
  numPatches: number;
  /** Formatted figures (as the page shows them). */
  mse: string;
  psnr: string;
  loss: string;
}

/** The words of a row's figure: captions as on the page, then checkpoint, mask, seed and figures. */
export function figureText(f: FigureFacts): FigureText {
  const mask = f.pattern === 'painted'
    ? `Painted mask: ${f.maskedCount} of ${f.numPatches} patches hidden`
    : `${f.pattern.charAt(0).toUpperCase()}${f.pattern.slice(1)} mask, ratio ${f.ratioPct} % (${f.maskedCount} of ${f.numPatches} patches hidden), seed ${f.seed}`;
  return {
    title: f.imageName,
    captions: ['Original', `Masked · ${f.maskedCount} of ${f.numPatches} hidden`, 'Reconstruction', 'Reconstruction + visible'],
    footer: [
      `Checkpoint: ${f.checkpoint ?? 'unknown'}`,
      mask,
      `Masked patches: MSE ${f.mse}, PSNR ${f.psnr}, loss ${f.loss} (0-255 pixel space)`,
      'MAE Playground · He et al., Masked Autoencoders Are Scalable Vision Learners (2021)',
    ],
  };
}
