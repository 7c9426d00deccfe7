// Yours: written once by fastsocket-gen, never overwritten.
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vitest/config";

// The generated server (`cargo run -- serve`) listens on 3000 by default; the dev server forwards Socket.IO and
// the HTTP endpoints to it, so the page talks to its own origin.
const server = process.env.FASTSOCKET_SERVER ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [vue()],
  server: {
    proxy: {
      "/socket.io": { target: server, ws: true },
      "/asyncapi.json": server,
      "/healthz": server,
    },
  },
  test: {
    environment: "happy-dom",
  },
});
