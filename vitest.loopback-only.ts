import net from "node:net";

// Tests never reach beyond this machine: a connection to any host but loopback fails the test at once, whether it
// comes from fetch (undici connects through net), node:http or a library. Servers the tests start bind 127.0.0.1.
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"]);
const connect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  // net.connect passes its normalized arguments as one array.
  const [first, second] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  const options = typeof first === "object" && first !== null ? (first as { host?: string; path?: string }) : undefined;
  const host = options ? options.host : typeof first === "number" || typeof first === "string" ? (typeof second === "string" ? second : "localhost") : undefined;
  const isIpc = options?.path != null || (typeof first === "string" && Number.isNaN(Number(first)));
  if (!isIpc && host !== undefined && !LOOPBACK.has(host)) {
    throw new Error(`Tests must not reach beyond this machine: a connection to ${host} was attempted.`);
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
