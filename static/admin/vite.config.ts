import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The setup wizard: one build served by Forge (Custom UI resource `static/admin/build`) and by
// the standalone server at /admin/. `base: './'` keeps every asset URL relative, so the same
// files load under both hosts.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  // No @vitejs/plugin-react: Vite 8 transforms TSX with Oxc; the automatic runtime imports
  // react/jsx-runtime itself.
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('./build', import.meta.url)),
    emptyOutDir: true,
    // Forge serves the files as they are; keep the output deterministic and small.
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});
