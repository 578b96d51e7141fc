// Pictures (and checkpoint files) into the page from anywhere: drag and drop onto the whole window, and paste.
import { useEffect, useState } from 'react';
import { useAppStore } from '../../store/react';
import { dragHasFiles, filesFromTransfer, intakeFiles, isTextTarget } from './intake';

/** Installs the window listeners; returns whether files are being dragged over the page. */
export function useImageIntake(): boolean {
  const store = useAppStore();
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    let depth = 0;
    const enter = (e: DragEvent) => {
      if (!dragHasFiles(e.dataTransfer)) return;
      e.preventDefault();
      depth++;
      setDragging(true);
    };
    const over = (e: DragEvent) => {
      if (!dragHasFiles(e.dataTransfer)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = (e: DragEvent) => {
      if (!dragHasFiles(e.dataTransfer)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      depth = 0;
      setDragging(false);
      if (!dragHasFiles(e.dataTransfer)) return;
      e.preventDefault();
      const files = filesFromTransfer(e.dataTransfer);
      if (files.length) intakeFiles(store.getState(), files);
    };
    const paste = (e: ClipboardEvent) => {
      const files = filesFromTransfer(e.clipboardData);
      if (!files.length) return;
      if (isTextTarget(e.target) && e.clipboardData?.types.includes('text/plain')) return;
      e.preventDefault();
      intakeFiles(store.getState(), files);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    window.addEventListener('paste', paste);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
      window.removeEventListener('paste', paste);
    };
  }, [store]);

  return dragging;
}
