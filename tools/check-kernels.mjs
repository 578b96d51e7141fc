// Checks built kernel modules: no data segment (it would be written into the backend's memory),
// one imported memory, the three kernels exported. (No stack use: clang's -Wframe-larger-than=0.)
import { readFileSync } from 'node:fs';
const WANT = ['attention', 'gelu_u', 'layer_norm'];
for (const file of process.argv.slice(2)) {
  const mod = new WebAssembly.Module(readFileSync(file));
  const imports = WebAssembly.Module.imports(mod);
  const exports = WebAssembly.Module.exports(mod).map((e) => e.name).sort();
  const data = WebAssembly.Module.customSections(mod, 'data');
  const bytes = readFileSync(file);
  // Section id 11 is the data section: scan the section headers.
  let p = 8;
  const ids = [];
  const leb = () => { let r = 0, s = 0, b; do { b = bytes[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
  while (p < bytes.length) { const id = bytes[p++]; const size = leb(); ids.push(id); p += size; }
  const problems = [];
  if (ids.includes(11)) problems.push('has a data section');
  if (imports.length !== 1 || imports[0].kind !== 'memory') problems.push(`imports ${JSON.stringify(imports)}`);
  for (const w of WANT) if (!exports.includes(w)) problems.push(`does not export ${w}`);
  if (data.length) problems.push('has a data custom section');
  if (problems.length) { console.error(`${file}: ${problems.join('; ')}`); process.exit(1); }
}
