// Builds the dashboard into dist/, which the tributary binary serves (src/server/static_files).
// Everything the page loads comes from this build: no CDN, so it works with no internet.
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The charts are the bulk of the bundle; keep them in their own cacheable chunk.
    rollupOptions: {
      output: {
        manualChunks: { charts: ['echarts/core', 'echarts/charts', 'echarts/components', 'echarts/renderers'] },
      },
    },
    chunkSizeWarningLimit: 900,
  },
  server: {
    // `npm run dev` proxies the API to a local `tributary serve` (TRIB_API_TARGET to change it).
    proxy: { '/api': process.env.TRIB_API_TARGET ?? 'http://127.0.0.1:8080' },
  },
  preview: {
    proxy: { '/api': process.env.TRIB_API_TARGET ?? 'http://127.0.0.1:8080' },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
