// The process's one router. It starts without I/O: a pair made by channel()
// needs none, and the bootstrap layer installs the dialing I/O (see
// src/bootstrap/net-router.ts) before the process gets its first link.
import { Router } from "./router.js";

let router: Router | undefined;

/** This process's router. */
export function defaultRouter(): Router {
  router ??= new Router();
  return router;
}
