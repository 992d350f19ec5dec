// protochan/connect: the services protochan serves, served to gRPC, gRPC-Web
// and Connect clients as well. The one entry that imports
// @connectrpc/connect and @connectrpc/connect-node (optional peers).
export { ConnectServer, type ConnectServerOptions, type ConnectServerEvents, type ConnectProtocol } from "./gateway/connect-server.js";
export type { ConnectServerHandlers } from "./gateway/handlers.js";
export { toConnectError, fromConnectError, connectCodeOf, rpcCodeOfConnect } from "./gateway/codes.js";
