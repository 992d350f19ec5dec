// A server name is "<address>#<token>": where to connect, and the 32-byte
// secret (64 hex digits) that proves the client was given the name. An
// address never holds a "#" (listen() refuses one), so the first "#" starts
// the token: a mangled name cannot pass part of a token off as an address,
// which would then show up in a system error's message.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { AddressError } from "../errors.js";

export const TOKEN_SIZE = 32;

export interface ServerName {
  readonly address: string;
  readonly token: Uint8Array;
}

export function newToken(): Uint8Array {
  return new Uint8Array(randomBytes(TOKEN_SIZE));
}

export function formatName(address: string, token: Uint8Array): string {
  return `${address}#${Buffer.from(token).toString("hex")}`;
}

export function parseName(name: string): ServerName {
  const hash = name.indexOf("#");
  const hex = hash < 0 ? "" : name.slice(hash + 1);
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new AddressError(`not a protochan server name (expected "<address>#<64 hex digits>"): "${redactName(name)}"`);
  }
  return { address: name.slice(0, hash), token: new Uint8Array(Buffer.from(hex, "hex")) };
}

/**
 * A name or address fit for an error message or a log: the token (whatever
 * follows the first "#") is left out. Without a "#", long runs of hex digits
 * are left out too, in case a token was passed on its own.
 */
export function redactName(name: string): string {
  const hash = name.indexOf("#");
  return hash < 0 ? name.replace(/[0-9a-f]{32,}/gi, "…") : `${name.slice(0, hash)}#…`;
}

export function tokensEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
