import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built files go where the gateway serves them (gitignored); `npm run dev` proxies the API.
const outDir = fileURLToPath(new URL("../tm_gateway/static/dist", import.meta.url));
const gateway = process.env.TM_GATEWAY_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 600 },
  server: { proxy: { "/api": { target: gateway, ws: true } } },
});
