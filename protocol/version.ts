// The protocol version lives in the WebSocket path (/v1/ws). A breaking change gets /v2.
export const PROTOCOL_VERSION = 1 as const;
export const WS_PATH = `/v${PROTOCOL_VERSION}/ws` as const;
/** Largest frame a client may send (bytes). */
export const MAX_CLIENT_FRAME = 16 * 1024;
