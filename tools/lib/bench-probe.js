// In-page probe of the browser benchmark (tools/bench-browser.ts), added to every page of its
// browser context as an init script; plain JS so that it runs as written. It times, with the page's
// own clock (performance.now(), ms):
// - each slider step: from the range input's `input` event (a capture listener, so before React
//   sees it) to the first frame that shows the step's mask ratio, or a later step's, in the first
//   row's masked panel and in its reconstruction panel. A panel "shows" a ratio when its canvas is
//   written (putImageData, the only way the page draws panels) while its <figure> carries that
//   `data-mask-ratio`; the frame is the next requestAnimationFrame callback, the rendering step
//   that puts that canvas on screen. (The attribute alone is not enough: the page writes pixels in
//   an effect, which for a worker's result may run a task after the attribute changed.)
// - a checkpoint load: from the checkpoint file input's `change` event to the status chip
//   ([data-testid="status-checkpoint"]) naming the file (a MutationObserver), and to the frame of the
//   first reconstruction drawn after it.
(() => {
  if (window.__maeBench) return;
  /** Panel canvases timed, by test id, and the step field each fills. */
  const PANELS = { 'panel-masked': 'masked', 'panel-reconstruction': 'recon' };
  const bench = {
    /**
     * Steps of the current series: { ratio, t0, key, masked, recon, drawn }: key = the key event's own time
     * stamp (t0 - key is how long the busy page kept the key waiting), masked and recon = frame times (null
     * until drawn), drawn = { masked, recon }: when the canvas was written, before that frame.
     */
    steps: [],
    /** The checkpoint load being timed: { file, t0, shown, firstRecon }. */
    load: null,
    reset() {
      bench.steps = [];
    },
    watchLoad(file) {
      bench.load = { file, t0: null, shown: null, firstRecon: null };
      const check = () => {
        if (loadShown()) {
          bench.load.shown = performance.now();
          observer.disconnect();
        }
      };
      const observer = new MutationObserver(check);
      observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    },
  };
  window.__maeBench = bench;

  /** Whether the file being loaded was chosen and the status chip names it. */
  const loadShown = () => {
    const chip = document.querySelector('[data-testid="status-checkpoint"]');
    return !!bench.load && bench.load.t0 !== null && !!chip && chip.textContent.includes(bench.load.file);
  };

  let keyAt = null;
  document.addEventListener('keydown', (e) => { keyAt = e.timeStamp; }, true);
  document.addEventListener('input', (e) => {
    const t = e.target;
    if (t instanceof HTMLInputElement && t.dataset.testid === 'mask-ratio') {
      bench.steps.push({ ratio: Number(t.value), t0: performance.now(), key: keyAt, masked: null, recon: null, drawn: { masked: null, recon: null } });
      keyAt = null;
    }
  }, true);

  document.addEventListener('change', (e) => {
    const t = e.target;
    if (bench.load && t instanceof HTMLInputElement && t.dataset.testid === 'checkpoint-file-input') bench.load.t0 = performance.now();
  }, true);

  const put = CanvasRenderingContext2D.prototype.putImageData;
  CanvasRenderingContext2D.prototype.putImageData = function (...args) {
    put.apply(this, args);
    const canvas = this.canvas;
    const key = PANELS[canvas.dataset.testid];
    if (!key || canvas.closest('[data-testid="image-row"]') !== document.querySelector('[data-testid="image-row"]')) return;
    const attr = canvas.closest('figure')?.getAttribute('data-mask-ratio');
    if (attr === null || attr === undefined || attr === '') return;
    const load = bench.load;
    if (key === 'recon' && load && load.firstRecon === null && loadShown()) {
      load.firstRecon = -1;
      requestAnimationFrame(() => { load.firstRecon = performance.now(); });
    }
    const ratio = Number(attr);
    const steps = bench.steps;
    // The latest step with this ratio; it and every earlier step not yet shown are answered by this frame
    // (during a drag, latest-wins may skip a step's own result for a fresher one).
    let last = -1;
    for (let i = steps.length - 1; i >= 0; i--) {
      if (steps[i].ratio === ratio) {
        last = i;
        break;
      }
    }
    const due = steps.slice(0, last + 1).filter((s) => s[key] === null);
    if (!due.length) return;
    const drawnAt = performance.now();
    for (const s of due) {
      s[key] = -1; // claimed; the frame time follows
      s.drawn[key] = drawnAt;
    }
    requestAnimationFrame(() => {
      const t = performance.now();
      for (const s of due) s[key] = t;
    });
  };
})();
