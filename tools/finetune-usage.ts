// `mae finetune`'s usage text, apart from tools/finetune.ts so that printing it loads no training code.
import { DEFAULT_TRAIN_SETTINGS } from '../src/model/train';

export const FINETUNE_USAGE = `usage: npm run --silent mae -- finetune [--checkpoint <file|folder|hf:org/name[@revision]>] --images a.jpg,b.jpg
    --out DIR [--steps ${DEFAULT_TRAIN_SETTINGS.steps}] [--batch-size ${DEFAULT_TRAIN_SETTINGS.batchSize}] [--lr ${DEFAULT_TRAIN_SETTINGS.baseLr}] [--seed 0]
    [--holdout h.jpg] [--backend wasm|cpu]

  Trains every weight (AdamW, betas 0.9/0.95, weight decay 0.05 on weights; warm-up, then cosine to
  ${DEFAULT_TRAIN_SETTINGS.minLr}) on random resized crops and flips of the pictures, masking 75 % of each;
  --lr is the peak learning rate. Writes DIR/config.json and DIR/model.safetensors (Hugging Face
  layout) and prints the masked-patch PSNR (0-255 space) under one fixed mask (--seed) of each picture
  and of the held-out one, before and after.`;

