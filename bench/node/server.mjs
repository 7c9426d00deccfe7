// The Node server of `cargo xtask bench-load`: the bench/orders.yaml contract on socket.io 4.8 with Ajv.
// `node server.mjs PORT` serves on 127.0.0.1:PORT; `GET /healthz` answers 200. No logging.
import { createServer } from "node:http";
import { Server } from "socket.io";
import Ajv from "ajv";

const port = Number(process.argv[2]);
if (!Number.isInteger(port)) {
  console.error("usage: node server.mjs PORT");
  process.exit(2);
}

// The schema of bench/orders.yaml's PlaceOrder, compiled once. allErrors: every violation is answered, as the
// generated server does.
const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile({
  type: "object",
  additionalProperties: false,
  required: ["clientOrderId", "symbol", "side", "quantity", "price"],
  properties: {
    clientOrderId: { type: "string", minLength: 1, maxLength: 64 },
    symbol: { type: "string", pattern: "^[A-Z]{3,6}$" },
    side: { type: "string", enum: ["buy", "sell"] },
    quantity: { type: "integer", minimum: 1, maximum: 1000000 },
    price: { type: "number", exclusiveMinimum: 0, maximum: 1000000000 },
  },
});

const http = createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  }
  // Anything else is socket.io's (it answers its own path and leaves the rest to time out): 404 here.
  else if (!req.url.startsWith("/socket.io/")) {
    res.writeHead(404).end();
  }
});
const io = new Server(http, { serveClient: false });
io.of("/orders").on("connection", (socket) => {
  socket.on("place-order", (payload, ack) => {
    if (typeof ack !== "function") return;
    if (validate(payload)) {
      ack({ clientOrderId: payload.clientOrderId, status: "accepted" });
    } else {
      const details = validate.errors.map((e) => ({ path: e.instancePath, message: e.message }));
      ack({
        error: {
          code: "validation_failed",
          message: `invalid payload for \`place-order\`: ${details[0].path}: ${details[0].message}`,
          details,
        },
      });
    }
  });
});
http.listen(port, "127.0.0.1");
